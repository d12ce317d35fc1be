"""Scheduled jobs of the ingest service: the nightly forecast and replenishment.

What it is for: the work that must happen on a clock or on a manager's request
rather than on a device's read, run by the service itself so that no cron or
timer outside it has to be set up (``scheduler``); its rows are the add-on's
``rrs_job_run`` (SQL in ``ingest_core.odoo.jobs``).

May import: ``ingest_core.db``, ``ingest_core.odoo``; the jobs' work runs in
child processes (the ``rtstock`` commands), never in the service's interpreter.
"""
