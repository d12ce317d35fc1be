/** @odoo-module **/
import { patch } from "@web/core/utils/patch";
import { Navbar } from "@point_of_sale/app/navbar/navbar";
import { CASHIER_TOUR } from "@retail_realtime_stock/pos/cashier_tour";

patch(Navbar.prototype, {
    /** The till's menu starts the cashier's tour of the stock badge, where it is shown. */
    rrsStartCashierTour() {
        this.env.services.tour_service.startTour(CASHIER_TOUR, { mode: "manual" });
    },
});
