"""The machine: a scenario's world (memory, registers, code), run on Unicorn, recorded as a Trace."""
