# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Drill from a rollup row to what it was rolled up from.

What it is: the buttons of a day × product × location row (``rrs.stock.daily``
and the ``rrs.sales.analysis`` view over it): the done stock moves of that
product in or out of that location on that local day, and the device reads
(``rrs.event``) behind them.

How it works: the rollups' day is local to the zone of the system parameter
``retail_realtime_stock.rollup_timezone`` (``docs/decisions/rollups.md``);
the day's bounds are turned back into UTC for the moves' ``date`` and the
reads' ``read_at``.

Caveats: a read's ``read_at`` is the device's clock; a read sent late by an
offline store agent still counts on the day its move is dated.
"""

from datetime import datetime, time, timedelta

import pytz

from odoo import _, models

TIMEZONE_PARAMETER = "retail_realtime_stock.rollup_timezone"


class RrsRollupDrillMixin(models.AbstractModel):
    _name = "rrs.rollup.drill.mixin"
    _description = "Retail Stock Rollup Drill-down"

    def _rrs_rollup_timezone(self):
        name = self.env["ir.config_parameter"].sudo().get_param(TIMEZONE_PARAMETER) or "UTC"
        try:
            return pytz.timezone(name)
        except pytz.UnknownTimeZoneError:
            return pytz.utc

    def _rrs_day_bounds_utc(self, day):
        """(start, end) in naive UTC of the rollups' local ``day``."""
        zone = self._rrs_rollup_timezone()
        start, end = (
            zone.localize(datetime.combine(value, time.min))
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
            for value in (day, day + timedelta(days=1))
        )
        return start, end

    def _rrs_drill_domain(self, date_field, location_fields):
        """Domain of the rows of the row's product, location and local day."""
        self.ensure_one()
        start, end = self._rrs_day_bounds_utc(self.day)
        source, destination = location_fields
        return [
            ("product_id", "=", self.product_id.id),
            "|",
            (source, "=", self.location_id.id),
            (destination, "=", self.location_id.id),
            (date_field, ">=", start),
            (date_field, "<", end),
        ]

    def action_view_moves(self):
        """The done stock moves rolled up into this row."""
        self.ensure_one()
        domain = [("state", "=", "done")]
        domain += self._rrs_drill_domain("date", ("location_id", "location_dest_id"))
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.stock_move_action")
        title = _(
            "Moves of %(product)s, %(day)s", product=self.product_id.display_name, day=self.day
        )
        action.update(
            name=title,
            display_name=title,  # what the web client shows in the breadcrumb
            domain=domain,
            context={"create": False},
            view_mode="list,form",
            views=[(self.env.ref("stock.view_move_tree").id, "list"), (False, "form")],
        )
        return action

    def action_view_events(self):
        """The device reads of this row's product, location and day."""
        self.ensure_one()
        domain = self._rrs_drill_domain("read_at", ("location_id", "location_dest_id"))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_realtime_stock.rrs_event_action"
        )
        title = _(
            "Device reads of %(product)s, %(day)s",
            product=self.product_id.display_name,
            day=self.day,
        )
        action.update(
            name=title,
            display_name=title,
            domain=domain,
            context={"create": False},
        )
        return action
