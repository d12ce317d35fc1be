"""Pure-Python twins of the modules in ``ingest_core._speedups``: same names, same behaviour."""
