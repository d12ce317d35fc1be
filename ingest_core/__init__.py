"""Retail real-time stock ingest: device reads to Odoo stock, exactly once, in atomic batches."""

from ingest_core.decode.speedups import which as _which_speedups

__version__ = "0.1.0"

#: ``"cython"`` or ``"python"``: which hot-path implementation is in use.
SPEEDUPS: str = _which_speedups()
