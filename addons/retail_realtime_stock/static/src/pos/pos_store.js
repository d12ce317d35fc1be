/** @odoo-module **/
/**
 * POS live stock: the on-hand quantity of the shop's warehouse per product,
 * loaded with the session (`pos.session._rrs_live_stock`) and kept current
 * from the store's `rrs_stock_<warehouse>` bus channel, on which the ingest
 * (device reads) and Odoo itself (this and other tills' orders) publish the
 * new quantities of the quants they moved.
 */
import { markRaw } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { PosStore } from "@point_of_sale/app/store/pos_store";
import {
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
        this.rrsLiveStock = { warehouseId: data.warehouse_id || false, byTemplate: {} };
        this.rrsQuants = markRaw({});
        this.rrsLocationIds = markRaw(new Set(data.location_ids || []));
        if (!data.warehouse_id) {
            return;
        }
        applyQuantRows(this.rrsQuants, this.rrsLocationIds, data.quants || []);
        this.rrsComputeTemplateTotals();
        this.bus.subscribe(LIVE_STOCK_NOTIFICATION, (payload) => this.rrsOnQuants(payload));
        this.bus.addChannel(liveStockChannel(data.warehouse_id));
    },

    rrsOnQuants(payload) {
        if (!payload || payload.warehouse_id !== this.rrsLiveStock.warehouseId) {
            return;
        }
        const changed = applyQuantRows(this.rrsQuants, this.rrsLocationIds, payload.quants);
        if (changed.length) {
            this.rrsComputeTemplateTotals();
        }
    },

    /** The product screen shows templates: sum the variants of each. */
    rrsComputeTemplateTotals() {
        const byProduct = totalsByProduct(this.rrsQuants);
        const byTemplate = {};
        for (const [productId, quantity] of Object.entries(byProduct)) {
            const product = this.models["product.product"].get(Number(productId));
            const key = product ? `t${product.raw.product_tmpl_id}` : `p${productId}`;
            byTemplate[key] = (byTemplate[key] || 0) + quantity;
        }
        const totals = this.rrsLiveStock.byTemplate;
        for (const key of new Set([...Object.keys(totals), ...Object.keys(byTemplate)])) {
            const quantity = byTemplate[key] || 0;
            if (totals[key] !== quantity) {
                totals[key] = quantity; // only changed keys re-render their cards
            }
        }
    },

    /** On-hand quantity of `product` (all its variants) in the shop's warehouse. */
    rrsLiveQuantity(product) {
        if (!this.rrsLiveStock?.warehouseId || !product?.is_storable) {
            return undefined;
        }
        return this.rrsLiveStock.byTemplate[`t${product.raw.product_tmpl_id}`] || 0;
    },
});
