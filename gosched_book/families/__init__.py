"""The routine families, one folder each: listings, presets, parameters, world builder, controls.

A new family is a new folder here plus one line below (registration order is link and menu order).
"""
from . import core, switches, scheduler, growth, recovery, goexit, cgo, signals, boot, preempt  # noqa: F401 - each registers itself
