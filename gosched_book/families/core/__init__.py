"""The book's own code every world links (callers, ABI0 wrappers, stand-ins) and the shared parameters."""
from ...scenario.family import Family, register
from ..params import SHARED

FAMILY = register(Family(
    "core", __name__,
    world_files=("world.s", "world_go.s", "world_goroutines.s"),
    params=SHARED,
))
