"""Generated retail chains in the genuine Odoo 18 schema, at a chain's size (issue 17)."""
