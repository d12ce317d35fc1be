"""Compiled (Cython) hot-path modules; each has a pure-Python twin in ``decode.fallback``."""
