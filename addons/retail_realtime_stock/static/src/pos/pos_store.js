/** @odoo-module **/
/**
 * POS live stock: the on-hand quantity of the shop's warehouse per product,
 * asked for the products the cashier sees (`pos.session.rrs_live_quantities`,
 * batched, once per product: a hypermarket's 50 000 products are not loaded at
 * session start) and kept current from the store's `rrs_stock_<warehouse>` bus
 * channel, on which the ingest (device reads) and Odoo itself (this and other
 * tills' orders) publish the new quantities of the quants they moved. A bus
 * message that arrives while a product's quantities are being fetched wins over
 * the fetched ones. The same channel carries the store's stock alerts: a product
 * of the shop that runs out is told to the cashier in a discreet notification.
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
} from "@retail_realtime_stock/live_stock/live_stock_model";
import {
    QuantityAsker,
    cardQuantity,
    refreshTotals,
} from "@retail_realtime_stock/pos/live_quantities";

patch(PosStore.prototype, {
    async afterProcessServerData() {
        const result = await super.afterProcessServerData(...arguments);
        this.rrsSetupLiveStock();
        return result;
    },

    rrsSetupLiveStock() {
        const data = this.session._rrs_live_stock || {};
        // byProduct is reactive: a card re-renders when its product's total changes.
        this.rrsLiveStock = {
            warehouseId: data.warehouse_id || false,
            training: Boolean(data.training),
            byProduct: {},
        };
        this.rrsQuants = markRaw({});
        this.rrsLocationIds = markRaw(new Set(data.location_ids || []));
        this.rrsAsker = markRaw(
            new QuantityAsker(
                (productIds) =>
                    this.data.call("pos.session", "rrs_live_quantities", [
                        [this.session.id],
                        productIds,
                    ]),
                (productIds, rows) => this.rrsOnAnswer(productIds, rows)
            )
        );
        if (!data.warehouse_id) {
            return;
        }
        this.bus.subscribe(LIVE_STOCK_NOTIFICATION, (payload) => this.rrsOnQuants(payload));
        this.bus.subscribe(ALERT_NOTIFICATION, (payload) => this.rrsOnAlert(payload));
        this.bus.addChannel(liveStockChannel(data.warehouse_id));
    },

    rrsOnQuants(payload) {
        if (!payload || payload.warehouse_id !== this.rrsLiveStock.warehouseId) {
            return;
        }
        // Only the products the till has asked for: the others are asked when shown.
        const rows = payload.quants.filter(([productId]) => this.rrsAsker.has(productId));
        this.rrsAsker.sawBusRows(rows);
        if (applyQuantRows(this.rrsQuants, this.rrsLocationIds, rows).length) {
            this.rrsComputeTotals();
        }
    },

    rrsOnAnswer(productIds, rows) {
        applyQuantRows(this.rrsQuants, this.rrsLocationIds, rows);
        for (const productId of productIds) {
            this.rrsLiveStock.byProduct[productId] ??= 0; // asked: no quant is zero
        }
        this.rrsComputeTotals();
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
        refreshTotals(this.rrsLiveStock.byProduct, this.rrsQuants, (id) =>
            this.rrsAsker.has(id)
        );
    },

    /**
     * On-hand quantity of `product` in the shop's warehouse. The product screen
     * shows one card per template: a product with variants shows their sum.
     */
    rrsLiveQuantity(product) {
        if (!this.rrsLiveStock?.warehouseId || !product?.is_storable) {
            return undefined;
        }
        const variants = product.attribute_line_ids?.length
            ? this.models["product.product"].filter(
                  (variant) => variant.raw.product_tmpl_id === product.raw.product_tmpl_id
              )
            : [product];
        const { quantity, missing } = cardQuantity(
            this.rrsLiveStock.byProduct,
            variants.map((variant) => variant.id)
        );
        if (missing.length) {
            this.rrsAsker.want(missing); // no badge until the shop's quantity is known
        }
        return quantity;
    },
});
