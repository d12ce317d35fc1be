"""Locust load suite (see load_tests/README.md)."""
