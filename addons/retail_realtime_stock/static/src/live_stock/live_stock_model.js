/** @odoo-module **/
/**
 * Live stock of one store, kept in step with the store's bus channel.
 *
 * Quantities are held per quant key (product, location, lot), exactly as the
 * ingest (and the add-on's ORM hook) publish them on `rrs_stock_<warehouse>`:
 * a message carries the new on-hand quantity of each key it touched, so
 * applying it is an assignment, never an addition (a message received twice
 * changes nothing).
 */
export const LIVE_STOCK_NOTIFICATION = "rrs_stock/quants";
// Reads of devices in training: what they would have done; the stock did not change.
export const TRAINING_NOTIFICATION = "rrs_stock/training";
/** New and closed stock alerts, on the same store channels (`rrs_alert` table's triggers). */
export const ALERT_NOTIFICATION = "rrs_alert";

export function liveStockChannel(warehouseId) {
    return `rrs_stock_${warehouseId}`;
}

// How many parts of this tab listen to each channel: the bus keeps one subscription
// per tab, so the dashboard leaving a store must not unsubscribe the alert counter.
const channelListeners = new Map();

/** Listen to `channel` on `bus` (with `releaseChannel` when done). */
export function acquireChannel(bus, channel) {
    const count = channelListeners.get(channel) || 0;
    channelListeners.set(channel, count + 1);
    if (!count) {
        bus.addChannel(channel);
    }
}

/** Stop listening to `channel`; the bus leaves it when nobody listens any more. */
export function releaseChannel(bus, channel) {
    const count = channelListeners.get(channel) || 0;
    if (count > 1) {
        channelListeners.set(channel, count - 1);
        return;
    }
    channelListeners.delete(channel);
    bus.deleteChannel(channel);
}

export function quantKey(productId, locationId, lotId) {
    return `${productId}/${locationId}/${lotId || 0}`;
}

export function formatQuantity(quantity) {
    const rounded = Math.round(quantity * 1000) / 1000;
    return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(2);
}

/**
 * Apply the rows of a `rrs_stock/quants` payload to `quants` (key -> row).
 *
 * @param {Object} quants: key -> {productId, locationId, lotId, quantity}
 * @param {Set<number>} locationIds: the locations that count for the view
 * @param {Array} rows: [[product_id, location_id, lot_id|null, quantity], ...]
 * @returns {number[]} the ids of the products whose quantity changed
 */
export function applyQuantRows(quants, locationIds, rows) {
    const changed = new Set();
    for (const [productId, locationId, lotId, quantity] of rows) {
        if (!locationIds.has(locationId)) {
            continue;
        }
        const key = quantKey(productId, locationId, lotId);
        const previous = quants[key];
        if (!previous || previous.quantity !== quantity) {
            quants[key] = { productId, locationId, lotId: lotId || false, quantity };
            changed.add(productId);
        }
    }
    return [...changed];
}

/** Rows [[product_id, location_id, lot_id|null, quantity], ...] as key -> row. */
export function quantsByKey(rows) {
    const quants = {};
    for (const [productId, locationId, lotId, quantity] of rows) {
        quants[quantKey(productId, locationId, lotId)] = {
            productId,
            locationId,
            lotId,
            quantity,
        };
    }
    return quants;
}

/** Sum of the quantities of `quants` per product id. */
export function totalsByProduct(quants) {
    const totals = {};
    for (const quant of Object.values(quants)) {
        totals[quant.productId] = (totals[quant.productId] || 0) + quant.quantity;
    }
    return totals;
}
