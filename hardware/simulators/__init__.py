"""Device simulators for ``rtstock simulate``: every device kind, seeded and reproducible."""
