"""Test-only helpers (contract peers, fixtures); nothing here ships in the product."""
