"""Alerts stage: what the ingest does once the database raised an alert (wake Odoo up)."""
