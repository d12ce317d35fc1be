/** @odoo-module **/
/**
 * The cashier's guided tour, in the till itself: what the stock badge says and what
 * to do when it is red. Started from the till's menu (navbar.js); it works on any
 * shop's products, so it points at the first badge and the order line, not at a
 * product of its own.
 */
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

export const CASHIER_TOUR = "rrs_tour_cashier";

registry.category("web_tour.tours").add(CASHIER_TOUR, {
    steps: () => [
        {
            trigger: ".product-screen .product:has(.o_rrs_pos_qty)",
            content: _t(
                "The badge in the corner: how many of this product your shop has now, on the shelves and in the stock room. Green: in stock. Red: the records say none. It follows every till, scanner and RFID gate of the shop; you never reload. Click the product to sell one."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".product-screen .order-container .orderline",
            content: _t(
                "A red badge never stops a sale: if the customer holds the product, the record is wrong, not the customer. Sell it; the store manager is told and has the shelf counted. If a customer asks for a product shown red, do not promise it: ask a colleague to check the stock room."
            ),
            tooltipPosition: "right",
            run: "click",
        },
        {
            trigger: ".product-screen .pay-order-button",
            content: _t(
                "Take the payment as usual. Once the order is paid, the badges of its products go down on every till of the shop."
            ),
            tooltipPosition: "top",
            run: "click",
        },
    ],
});
