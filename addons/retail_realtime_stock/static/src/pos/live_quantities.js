/** @odoo-module **/
/**
 * The till's on-hand quantities, without the till: which products to ask the server
 * for, in batches, and what an answer or a bus message changes. The POS store
 * (pos_store.js) holds one `QuantityAsker` and the totals its product cards read;
 * these functions hold the rules, so Hoot tests them with no POS running
 * (static/tests/live_quantities.test.js).
 */
import { quantKey, totalsByProduct } from "@retail_realtime_stock/live_stock/live_stock_model";

/** Products shown within this many ms are asked for in one call. */
export const ASK_DELAY_MS = 20;

export class QuantityAsker {
    /**
     * @param {(productIds: number[]) => Promise<Array>} ask: the server's quant rows
     *     [product, location, lot|null, quantity] of those products
     * @param {(productIds: number[], rows: Array) => void} onAnswer: called with the
     *     asked products and the answer's rows that no bus message overtook
     * @param {(error: Error) => void} onError: a call failed (offline till, server
     *     restart); its products are asked again when shown again, no dialog is raised
     * @param {number} delay: ms to gather the products of one screen
     */
    constructor(ask, onAnswer, onError = (error) => console.warn(error), delay = ASK_DELAY_MS) {
        this.ask = ask;
        this.onAnswer = onAnswer;
        this.onError = onError;
        this.delay = delay;
        this.asked = new Set(); // asked for once: the bus keeps them current from then on
        this.wanted = new Set(); // to ask for with the next call
        this.busKeys = new Set(); // quant keys a bus message set while a call was out
        this.batch = null;
    }

    /** Whether the till asked for `productId` (the bus updates only those). */
    has(productId) {
        return this.asked.has(productId);
    }

    /** Bus rows arrived: they are newer than any answer still on its way. */
    sawBusRows(rows) {
        for (const [productId, locationId, lotId] of rows) {
            this.busKeys.add(quantKey(productId, locationId, lotId));
        }
    }

    /** Ask for `productIds` not asked yet, with the next call; returns that call. */
    want(productIds) {
        for (const productId of productIds) {
            if (!this.asked.has(productId)) {
                this.wanted.add(productId);
            }
        }
        if (this.wanted.size && !this.batch) {
            this.batch = new Promise((resolve) => setTimeout(resolve, this.delay)).then(() =>
                this.askBatch()
            );
        }
        return this.batch;
    }

    async askBatch() {
        const productIds = [...this.wanted];
        this.wanted.clear();
        for (const productId of productIds) {
            this.asked.add(productId);
        }
        this.busKeys.clear();
        try {
            const rows = await this.ask(productIds);
            const fresh = rows.filter(
                ([productId, locationId, lotId]) =>
                    !this.busKeys.has(quantKey(productId, locationId, lotId))
            );
            this.onAnswer(productIds, fresh);
        } catch (error) {
            for (const productId of productIds) {
                this.asked.delete(productId); // asked again when shown again
            }
            this.onError(error);
        } finally {
            this.batch = null;
            if (this.wanted.size) {
                this.want([]);
            }
        }
    }
}

/**
 * Set in `totals` (product id -> on hand; reactive in the till, so only changed
 * products re-render) the sums of `quants` for the products `isAsked` accepts.
 * A product asked for with no quant left is 0.
 */
export function refreshTotals(totals, quants, isAsked) {
    const byProduct = totalsByProduct(quants);
    for (const id of new Set([...Object.keys(totals), ...Object.keys(byProduct)])) {
        if (!isAsked(Number(id))) {
            continue;
        }
        const quantity = byProduct[id] || 0;
        if (totals[id] !== quantity) {
            totals[id] = quantity;
        }
    }
}

/**
 * What a product card shows for a product whose variants are `variantIds`: their
 * summed total, or `undefined` with the `missing` variants to ask for first.
 */
export function cardQuantity(totals, variantIds) {
    const missing = variantIds.filter((id) => totals[id] === undefined);
    if (missing.length) {
        return { quantity: undefined, missing };
    }
    return { quantity: variantIds.reduce((sum, id) => sum + totals[id], 0), missing };
}
