/** @odoo-module **/
/**
 * The cashier's guided tour (static/src/pos/cashier_tour.js), run to its end in a
 * till: after the register is opened (the shop is a training store, which the till
 * shows), the till's menu offers it, and its own steps sell a product whose badge
 * shows and reach the payment screen.
 */
import { registry } from "@web/core/registry";
import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";

// The cashier's tour is a Point of Sale asset; this file is in the back office's test
// bundle too, so it names the tour instead of importing it, and reads its steps when
// this tour starts (in the till).
const CASHIER_TOUR = "rrs_tour_cashier";

registry.category("web_tour.tours").add("rrs_pos_cashier_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            {
                content: "The shop is a training store: the till says so",
                trigger: ".pos-leftheader .o_rrs_pos_training",
            },
            Chrome.clickMenuButton(),
            {
                content: "The till's menu offers the cashier's tour",
                trigger: ".dropdown-item .o_rrs_cashier_tour",
            },
            Chrome.clickMenuButton(),
            registry.category("web_tour.tours").get(CASHIER_TOUR).steps(),
            {
                content: "The tour ends on the payment screen of the order it made",
                trigger: ".payment-screen",
            },
        ].flat(),
});
