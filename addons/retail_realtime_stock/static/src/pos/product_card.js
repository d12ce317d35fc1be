/** @odoo-module **/
import { patch } from "@web/core/utils/patch";
import { ProductCard } from "@point_of_sale/app/generic_components/product_card/product_card";
import { usePos } from "@point_of_sale/app/store/pos_hook";
import { formatQuantity } from "@retail_realtime_stock/live_stock/live_stock_model";

patch(ProductCard.prototype, {
    setup() {
        super.setup(...arguments);
        // The card is generic: show live stock only inside the POS app.
        this.rrsPos = this.env.services.pos ? usePos() : null;
    },

    get rrsLiveQuantity() {
        return this.rrsPos?.rrsLiveQuantity(this.props.product);
    },

    get rrsLiveQuantityText() {
        return formatQuantity(this.rrsLiveQuantity);
    },
});
