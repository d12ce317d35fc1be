# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Valuation of the stock moves the ingest writes directly (the fast path).

What it is: the ingest commits done ``stock.move`` rows with plain SQL, so
stock_account's ``_action_done`` never ran for them and they have no
valuation layer or journal entry. A cron values them within a minute.

How it works: it picks the done moves of journaled event batches
(``rrs_event_batch``) not yet looked at that have no ``stock.valuation.layer``
and runs, per company, the same steps
stock_account's ``_action_done`` runs after the quantities are done:
``_create_<type>_svl``, ``_validate_accounting_entries`` (which calls
``_account_entry_move``), AVCO price update, FIFO vacuum.

Caveats: moves between two internal locations are not candidates (Odoo
values none). A candidate that still gets no layer (an inter-company transit
edge case) or whose valuation fails is logged and looked at again on each
run; the others of its batch are still valued. A run values at most
``batch_size`` moves, oldest first; the next run takes the rest. A batch is
marked valued (``valued_at``) once none of its moves is a candidate any more.
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero

_logger = logging.getLogger(__name__)


class StockMove(models.Model):
    _inherit = "stock.move"

    rrs_event_ids = fields.Many2many(
        comodel_name="rrs.event", compute="_compute_rrs_event_ids", string="Device events"
    )

    def action_rrs_epcis_events(self):
        """The EPCIS events of the done move: those of the movement that holds it.

        The ingest sums a second's identical lines into one movement (one event
        ID per movement), so the events may count other moves of that second too.
        Serialised reads carry their own time, before the move's: the window
        reaches back as far as a query may (31 days).
        """
        self.ensure_one()
        if self.state != "done":
            raise UserError(_("Only a done move has EPCIS events."))
        until = self.date + timedelta(seconds=1)
        return self.env["rrs.epcis.event.wizard"]._rrs_open(
            self.reference or self.display_name,
            {"EQ_rtstock_move": str(self.id)},
            until - timedelta(days=31),
            until,
        )

    def _compute_rrs_event_ids(self):
        events = self.env["rrs.event"]._events_by_move(self.ids)
        for move in self:
            move.rrs_event_ids = [fields.Command.set(events.get(move.id, []))]

    @api.model
    def _rrs_unvalued_batches(self, limit=2000):
        """(batch id, move ids) of journaled batches whose moves may still need a layer."""
        self.env.cr.execute(
            """SELECT id, move_ids FROM rrs_event_batch
                WHERE move_ids IS NOT NULL AND valued_at IS NULL ORDER BY id LIMIT %s""",
            [limit],
        )
        return self.env.cr.fetchall()

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        # Tills and dashboards follow Odoo's own stock moves (POS orders,
        # receipts, adjustments) on the same bus channel as the ingest's.
        keys = set()
        for line in moves.move_line_ids:
            for location in line.location_id | line.location_dest_id:
                keys.add((line.product_id.id, location.id, line.lot_id.id or None))
        if keys:
            self.env["stock.quant"]._rrs_notify_live_stock(keys)
        return moves

    @api.model
    def _rrs_unvalued_fast_path_domain(self, batches=None):
        # Only moves that cross the company's valued stock (one side internal or
        # transit, the other not, as stock.location._should_be_valued says) can
        # get a layer; the others (internal transfers) would otherwise be picked
        # again on every run and could fill the batch for good.
        valued_usages = ["internal", "transit"]
        if batches is None:
            batches = self._rrs_unvalued_batches()
        move_ids = {move for _batch, moves in batches for move in moves if move}
        return [
            ("id", "in", list(move_ids)),
            ("state", "=", "done"),
            ("stock_valuation_layer_ids", "=", False),
            "|",
            "&",
            ("location_id.usage", "in", valued_usages),
            ("location_dest_id.usage", "not in", valued_usages),
            "&",
            ("location_id.usage", "not in", valued_usages),
            ("location_dest_id.usage", "in", valued_usages),
        ]

    @api.model
    def _cron_value_fast_path_moves(self, batch_size=1000):
        """Create the missing valuation layers of done fast-path moves."""
        batches = self._rrs_unvalued_batches()
        domain = self._rrs_unvalued_fast_path_domain(batches)
        moves = self.sudo().search(domain, order="date, id", limit=batch_size)
        for company in moves.company_id:
            company_moves = moves.filtered(lambda move, c=company: move.company_id == c)
            for run in company_moves.with_company(company)._rrs_split_in_direction_runs():
                run._rrs_value_moves_safely()
        remaining = set(self.sudo().search(domain).ids)
        settled = [batch for batch, moves in batches if not remaining.intersection(moves)]
        if settled:
            self.env.cr.execute(
                """UPDATE rrs_event_batch SET valued_at = now() AT TIME ZONE 'UTC'
                    WHERE id = ANY(%s)""",
                [settled],
            )
        return True

    def _rrs_split_in_direction_runs(self):
        """Split moves (in date order) into consecutive runs going the same way.

        Valuing a run at once gives the same layers as valuing its moves one by
        one, but an outgoing move valued before an earlier incoming one would
        take another cost (FIFO, AVCO): the order between runs is kept.
        """
        runs = []
        previous_direction = None
        for move in self:
            direction = "in" if move._is_in() else "out" if move._is_out() else "other"
            if direction != previous_direction:
                runs.append(self.browse())
                previous_direction = direction
            runs[-1] |= move
        return runs

    def _rrs_value_moves_safely(self):
        try:
            with self.env.cr.savepoint():
                self._rrs_create_valuation()
        # Any error (UserError from the sanity check, missing accounts, ...) of one
        # move must not block the others: retry them one by one.
        except Exception:  # noqa: BLE001 - see the comment above
            _logger.warning("Batch valuation of moves %s failed, valuing one by one", self.ids)
            for move in self:
                try:
                    with self.env.cr.savepoint():
                        move._rrs_create_valuation()
                except Exception:  # noqa: BLE001 - logged, retried on the next run
                    _logger.exception("Valuation of fast-path move %s failed", move.id)

    def _rrs_create_valuation(self):
        """Value done moves as stock_account's ``_action_done`` does; return the layers."""
        valued_types = self._get_valued_types()
        valued_moves = {valued_type: self.browse() for valued_type in valued_types}
        for move in self:
            if float_is_zero(move.quantity, precision_rounding=move.product_uom.rounding):
                continue
            if not any(move.move_line_ids.mapped("picked")):
                continue
            for valued_type in valued_types:
                if getattr(move, f"_is_{valued_type}")():
                    valued_moves[valued_type] |= move

        valued_moves["in"].product_price_update_before_done()

        layers = self.env["stock.valuation.layer"].sudo()
        for valued_type in valued_types:
            todo_moves = valued_moves[valued_type]
            if todo_moves:
                todo_moves._sanity_check_for_valuation()
                layers |= getattr(todo_moves, f"_create_{valued_type}_svl")()

        layers._validate_accounting_entries()
        layers._validate_analytic_accounting_entries()
        valued_moves["out"].filtered(
            lambda move: move.product_id.lot_valuated
        )._product_price_update_after_done()
        layers._check_company()

        in_moves = valued_moves["in"]
        if in_moves:
            in_moves.product_id._run_fifo_vacuum(in_moves.company_id[:1])
        return layers
