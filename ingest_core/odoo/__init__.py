"""The one home of Odoo table knowledge: declarations (``tables``), SQL (``sql``), checks, init."""
