"""Benchmarks (``rtstock bench``): the fast path side by side with the naive Odoo paths."""
