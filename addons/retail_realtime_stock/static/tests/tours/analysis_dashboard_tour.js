/** @odoo-module **/
import { registry } from "@web/core/registry";

const TOP_MOVER = '.o_rrs_clickable:has(td:contains("RRS Dashboard Soap"))';

registry.category("web_tour.tours").add("rrs_analysis_dashboard", {
    steps: () => [
        {
            content: "The dashboard shows today's sales",
            trigger: ".o_rrs_cards [data-figure=sales_today] .o_rrs_figure",
        },
        {
            content: "Open the top mover's rows",
            trigger: TOP_MOVER,
            run: "click",
        },
        {
            content: "Its analysis rows are listed, with their drill buttons",
            trigger: ".o_list_renderer .o_data_row button[name=action_view_moves]",
            run: "click",
        },
        {
            content: "The done stock moves of the row open",
            trigger: ".o_breadcrumb:contains('Moves of')",
        },
        {
            content: "The receipt and the sale of the day are listed",
            trigger: ".o_list_renderer .o_data_row:nth-child(2)",
        },
    ],
});
