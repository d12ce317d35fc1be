/** @odoo-module **/
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

const PRODUCT_QTY = (quantity) =>
    `.o_rrs_product_row:has(.o_rrs_product_name:contains("RRS Live Soap")) .o_rrs_qty[data-qty="${quantity}"]`;

registry.category("web_tour.tours").add("rrs_live_stock_dashboard", {
    steps: () => [
        {
            content: "Choose the tour's store",
            trigger: ".o_rrs_store_select",
            run() {
                const select = document.querySelector(".o_rrs_store_select");
                const option = [...select.options].find((o) => o.text === "RRS Tour Store");
                select.value = option.value;
                select.dispatchEvent(new Event("change"));
            },
        },
        {
            content: "The store's stock is shown",
            trigger: PRODUCT_QTY(10),
        },
        {
            content: "The ingest sells 3 (fast path: SQL, bus_bus row, NOTIFY imbus)",
            trigger: PRODUCT_QTY(10),
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
            content: "The quantity changes without reload",
            trigger: PRODUCT_QTY(7),
            timeout: 5000,
        },
        {
            content: "The sale is listed in the recent movements",
            trigger: ".o_rrs_event_row:contains('RRS Live Soap')",
        },
        {
            content: "The ingest sells 9 more: the store goes negative",
            trigger: PRODUCT_QTY(7),
            async run() {
                await rpc("/web/dataset/call_kw/rrs.live.stock/rrs_test_fast_path_sale", {
                    model: "rrs.live.stock",
                    method: "rrs_test_fast_path_sale",
                    args: [9],
                    kwargs: {},
                });
            },
        },
        {
            content: "Negative stock is flagged without reload",
            trigger: ".o_rrs_negative_alerts li:contains('RRS Live Soap'):contains('-2')",
            timeout: 5000,
        },
        {
            content: "The product row is red",
            trigger: `.o_rrs_product_row.table-danger ${".o_rrs_qty[data-qty='-2']"}`,
        },
        {
            content: "The pager counts the store's products",
            trigger: ".o_rrs_pager .o_pager_limit:contains('2')",
        },
        ...sortedFirst("on_hand_asc", "RRS Live Soap"),
        ...sortedFirst("on_hand_desc", "RRS Live Shampoo"),
    ],
});

/** Choose a sort order; the page's first row is then `product`. */
function sortedFirst(order, product) {
    return [
        {
            content: `Sort: ${order}`,
            trigger: ".o_rrs_order_select",
            run() {
                const select = document.querySelector(".o_rrs_order_select");
                select.value = order;
                select.dispatchEvent(new Event("change"));
            },
        },
        {
            content: `${product} comes first`,
            trigger: `.o_rrs_stock_table tbody tr:first-child .o_rrs_product_name:contains("${product}")`,
        },
    ];
}
