"""Pure-Python twins of the modules in ``decode._speedups``: same names, same behaviour."""
