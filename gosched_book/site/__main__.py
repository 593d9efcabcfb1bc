"""`python -m gosched_book.site build`: build and check the static site."""
import sys

from .builder import main

sys.exit(main())
