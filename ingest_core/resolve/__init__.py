"""Resolve stage: decoded reads to products, devices, locations and Odoo operations."""
