# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The *Count accuracy and discrepancies* PDF of an RFID count session.

What it is: the values of the QWeb template ``report_count_session``,
printed from a count session: the session's totals and accuracy, then every
counted product with its record, its count and the difference, the largest
differences first, valued at cost.
"""

from odoo import api, models


class ReportCountSession(models.AbstractModel):
    _name = "report.retail_realtime_stock.report_count_session"
    _description = "Retail Count Session Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        sessions = self.env["rrs.count.session"].browse(docids)
        lines = {}
        for session in sessions:
            rows = []
            for line in session.line_ids.sorted(
                key=lambda line: (-abs(line.difference), line.product_id.display_name)
            ):
                cost = line.product_id.with_company(session.company_id).standard_price
                rows.append({"line": line, "value": line.difference * cost})
            lines[session.id] = rows
        return {
            "doc_ids": docids,
            "doc_model": "rrs.count.session",
            "docs": sessions,
            "lines": lines,
        }
