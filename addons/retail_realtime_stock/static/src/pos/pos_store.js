/** @odoo-module **/
/**
 * POS live stock: the on-hand quantity of the shop's warehouse per product,
 * loaded with the session (`pos.session._rrs_live_stock`) and kept current
 * from the store's `rrs_stock_<warehouse>` bus channel, on which the ingest
 * (device reads) and Odoo itself (this and other tills' orders) publish the
 * new quantities of the quants they moved. The same channel carries the
 * store's stock alerts: a product of the shop that runs out is told to the
 * cashier in a discreet notification.
 */
import { markRaw } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { PosStore } from "@point_of_sale/app/store/pos_store";
import {
    ALERT_NOTIFICATION,
    LIVE_STOCK_NOTIFICATION,
    applyQuantRows,
    liveStockChannel,
    totalsByProduct,
} from "@retail_realtime_stock/live_stock/live_stock_model";

patch(PosStore.prototype, {
    async afterProcessServerData() {
        const result = await super.afterProcessServerData(...arguments);
        this.rrsSetupLiveStock();
        return result;
    },

    rrsSetupLiveStock() {
        const data = this.session._rrs_live_stock || {};
        // byProduct is reactive: a card re-renders when its product's total changes.
        this.rrsLiveStock = { warehouseId: data.warehouse_id || false, byProduct: {} };
        this.rrsQuants = markRaw({});
        this.rrsLocationIds = markRaw(new Set(data.location_ids || []));
        if (!data.warehouse_id) {
            return;
        }
        applyQuantRows(this.rrsQuants, this.rrsLocationIds, data.quants || []);
        this.rrsComputeTotals();
        this.bus.subscribe(LIVE_STOCK_NOTIFICATION, (payload) => this.rrsOnQuants(payload));
        this.bus.subscribe(ALERT_NOTIFICATION, (payload) => this.rrsOnAlert(payload));
        this.bus.addChannel(liveStockChannel(data.warehouse_id));
    },

    rrsOnQuants(payload) {
        if (!payload || payload.warehouse_id !== this.rrsLiveStock.warehouseId) {
            return;
        }
        const changed = applyQuantRows(this.rrsQuants, this.rrsLocationIds, payload.quants);
        if (changed.length) {
            this.rrsComputeTotals();
        }
    },

    /** A product of this shop ran out (an `out_of_stock` alert opened): tell the cashier. */
    rrsOnAlert(payload) {
        if (
            !payload ||
            payload.kind !== "out_of_stock" ||
            payload.state !== "open" ||
            payload.warehouse_id !== this.rrsLiveStock.warehouseId
        ) {
            return;
        }
        const product = this.models["product.product"].get(payload.product_id);
        if (!product) {
            return; // not sold at this till
        }
        this.notification.add(
            _t("%s is out of stock in this shop.", product.display_name || product.name),
            { type: "warning", sticky: false }
        );
    },

    rrsComputeTotals() {
        const byProduct = totalsByProduct(this.rrsQuants);
        const totals = this.rrsLiveStock.byProduct;
        for (const id of new Set([...Object.keys(totals), ...Object.keys(byProduct)])) {
            const quantity = byProduct[id] || 0;
            if (totals[id] !== quantity) {
                totals[id] = quantity; // only changed products re-render their cards
            }
        }
    },

    /**
     * On-hand quantity of `product` in the shop's warehouse. The product screen
     * shows one card per template: a product with variants shows their sum.
     */
    rrsLiveQuantity(product) {
        if (!this.rrsLiveStock?.warehouseId || !product?.is_storable) {
            return undefined;
        }
        const totals = this.rrsLiveStock.byProduct;
        if (!product.attribute_line_ids?.length) {
            return totals[product.id] || 0;
        }
        const templateId = product.raw.product_tmpl_id;
        return this.models["product.product"]
            .filter((variant) => variant.raw.product_tmpl_id === templateId)
            .reduce((sum, variant) => sum + (totals[variant.id] || 0), 0);
    },
});
