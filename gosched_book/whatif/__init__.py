"""What if: the reader's runs and controls, and the Chinese explanation of what a change did."""
