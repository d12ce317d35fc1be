# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models

from .own_table import MAGIC_COLUMNS, ensure_table

# ingest_core/odoo/tables.py, ADDON_TABLES["rrs_job_run"]: same columns, no foreign key.
TABLE_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS rrs_job_run (
        id serial PRIMARY KEY,
        job varchar NOT NULL,
        state varchar NOT NULL,
        scheduled_for timestamp,
        requested_at timestamp NOT NULL,
        started_at timestamp,
        finished_at timestamp,
        node varchar,
        detail text,{MAGIC_COLUMNS}
    )
    """,
    "COMMENT ON TABLE rrs_job_run IS 'Retail Stock Scheduled Job Run'",
    "CREATE UNIQUE INDEX IF NOT EXISTS rrs_job_run_scheduled_uniq ON rrs_job_run "
    "(job, scheduled_for) WHERE scheduled_for IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS rrs_job_run_state_idx ON rrs_job_run (state, id)",
)


class RrsJobRun(models.Model):
    """A run of one of the ingest's scheduled jobs (the nightly forecast + replenish).

    The ingest (``ingest_core/jobs/scheduler.py``) inserts each night's run, claims
    requested runs, and writes how they ended; a manager asks for a run now with
    *Refresh forecast*, which only inserts a ``requested`` row: the forecast's
    numeric work runs in the ingest, never in Odoo's workers.
    """

    _name = "rrs.job.run"
    _description = "Retail Stock Scheduled Job Run"
    _auto = False
    _order = "id desc"
    _rec_name = "job"

    job = fields.Selection(
        selection=[("forecast", "Forecast and replenishment")], required=True, readonly=True
    )
    state = fields.Selection(
        selection=[
            ("requested", "Requested"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        required=True,
        readonly=True,
    )
    scheduled_for = fields.Datetime(
        readonly=True, help="The nightly run's due time; empty for a run asked for in Odoo."
    )
    requested_at = fields.Datetime(readonly=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    node = fields.Char(string="Ingest", readonly=True, help="The ingest service that ran it.")
    detail = fields.Text(readonly=True, help="What each step reported, or why it failed.")

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL)

    @api.model
    def action_request_forecast(self):
        """Ask the ingest for a forecast and replenishment run now."""
        self.env["stock.warehouse.orderpoint"].check_access("write")
        pending = self.sudo().search(
            [("job", "=", "forecast"), ("state", "in", ("requested", "running"))], limit=1
        )
        if not pending:
            self.sudo().create(
                {"job": "forecast", "state": "requested", "requested_at": fields.Datetime.now()}
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": _("Forecast requested"),
                "message": _(
                    "The ingest service runs the forecast and then sets the reorder "
                    "rules within a minute; see Real-time Stock > Scheduled jobs."
                ),
                "sticky": False,
            },
        }
