"""Pure rules of leadblock: no I/O, no framework."""
