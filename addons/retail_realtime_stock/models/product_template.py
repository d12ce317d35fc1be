# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import api, fields, models

from ..report import rrs_analysis_queries as queries
from ..report.rrs_demand_chart import demand_chart


class ProductTemplate(models.Model):
    """The product form's *Demand* tab: past demand and the forecast, per store."""

    _inherit = "product.template"

    rrs_demand_charts = fields.Html(
        string="Demand and forecast",
        compute="_compute_rrs_demand_charts",
        sanitize=False,
        help="Per store you work for: net units sold per day over 13 weeks (all the "
        "product's variants), then the latest forecast with its 80 % band.",
    )

    @api.depends_context("uid")
    def _compute_rrs_demand_charts(self):
        stores = self.env.user._rrs_store_warehouses().filtered(
            lambda store: store.company_id in self.env.companies
        )
        today = fields.Date.context_today(self)
        for template in self:
            products = template.product_variant_ids.ids
            charts = []
            for store in stores if products else ():
                chart = demand_chart(
                    self.env.cr,
                    products,
                    store.ids,
                    today,
                    queries.forecast_by_day(self.env.cr, products, store.ids),
                    f"{store.name}: units per day",
                    keep_empty=False,
                )
                if chart:
                    charts.append(chart)
            template.rrs_demand_charts = Markup("<br/>").join(charts) if charts else False

    def action_rrs_epcis_events(self):
        """The EPCIS events of the product's variants over the last week."""
        self.ensure_one()
        return self.product_variant_ids._rrs_epcis_events(self.display_name)
