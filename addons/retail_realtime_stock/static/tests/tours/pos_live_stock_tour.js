/** @odoo-module **/
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";
import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";

const BADGE = (quantity) =>
    `.product:has(.product-name:contains("RRS Live Soap")) .o_rrs_pos_qty[data-qty="${quantity}"]`;

registry.category("web_tour.tours").add("rrs_pos_live_stock", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            {
                content: "The product card shows the shop's on-hand quantity",
                trigger: BADGE(10),
            },
            {
                content: "A device sells 3 through the ingest's fast path",
                trigger: BADGE(10),
                async run() {
                    await rpc("/web/dataset/call_kw/rrs.live.stock/rrs_test_fast_path_sale", {
                        model: "rrs.live.stock",
                        method: "rrs_test_fast_path_sale",
                        args: [],
                        kwargs: {},
                    });
                },
            },
            {
                content: "The badge shows the new quantity within a second",
                trigger: BADGE(7),
                timeout: 1000,
            },
            {
                content: "A device sells the last 7: the product runs out",
                trigger: BADGE(7),
                async run() {
                    await rpc("/web/dataset/call_kw/rrs.live.stock/rrs_test_fast_path_sale", {
                        model: "rrs.live.stock",
                        method: "rrs_test_fast_path_sale",
                        args: [],
                        kwargs: { sold: 7 },
                    });
                },
            },
            {
                content: "The cashier is told, discreetly, that it is out of stock",
                trigger: '.o_notification:contains("RRS Live Soap is out of stock in this shop")',
                timeout: 2000,
            },
        ].flat(),
});
