/**
 * Hoot unit tests of the live stock model (back office and till) and of the till's
 * quantity asking (static/src/pos/live_quantities.js): no server, no till.
 * Run in a browser at /web/tests?tag=retail_realtime_stock, or by the add-on's
 * tests/test_js_unit.py.
 */
import { describe, expect, test } from "@odoo/hoot";
import { advanceTime, Deferred, tick } from "@odoo/hoot-mock";
import {
    acquireChannel,
    applyQuantRows,
    formatQuantity,
    quantKey,
    quantsByKey,
    releaseChannel,
    totalsByProduct,
} from "@retail_realtime_stock/live_stock/live_stock_model";
import {
    ASK_DELAY_MS,
    QuantityAsker,
    cardQuantity,
    refreshTotals,
} from "@retail_realtime_stock/pos/live_quantities";

describe.current.tags("retail_realtime_stock");

describe("live stock model", () => {
    test("a bus message sets quantities: applied twice, it changes nothing", () => {
        const quants = {};
        const locations = new Set([8]);
        const rows = [
            [1, 8, null, 5],
            [2, 8, 40, 3],
        ];
        expect(applyQuantRows(quants, locations, rows)).toEqual([1, 2]);
        expect(applyQuantRows(quants, locations, rows)).toEqual([]);
        expect(quants[quantKey(2, 8, 40)].quantity).toBe(3);
        expect(totalsByProduct(quants)).toEqual({ 1: 5, 2: 3 });
    });

    test("rows of other locations are left out", () => {
        const quants = {};
        expect(applyQuantRows(quants, new Set([8]), [[1, 9, null, 5]])).toEqual([]);
        expect(quants).toEqual({});
    });

    test("a new quantity replaces the old one, lots and locations sum per product", () => {
        const quants = quantsByKey([
            [1, 8, null, 5],
            [1, 8, 40, 2],
            [1, 12, null, 1],
        ]);
        expect(totalsByProduct(quants)).toEqual({ 1: 8 });
        expect(applyQuantRows(quants, new Set([8, 12]), [[1, 8, 40, -1]])).toEqual([1]);
        expect(totalsByProduct(quants)).toEqual({ 1: 5 });
    });

    test("quantities print as whole numbers or with two decimals", () => {
        expect(formatQuantity(3)).toBe("3");
        expect(formatQuantity(-2.0000001)).toBe("-2");
        expect(formatQuantity(1.256)).toBe("1.26");
    });

    test("a channel is left when its last listener leaves", () => {
        const calls = [];
        const bus = {
            addChannel: (channel) => calls.push(["add", channel]),
            deleteChannel: (channel) => calls.push(["delete", channel]),
        };
        acquireChannel(bus, "rrs_stock_7");
        acquireChannel(bus, "rrs_stock_7");
        releaseChannel(bus, "rrs_stock_7");
        expect(calls).toEqual([["add", "rrs_stock_7"]]);
        releaseChannel(bus, "rrs_stock_7");
        expect(calls).toEqual([
            ["add", "rrs_stock_7"],
            ["delete", "rrs_stock_7"],
        ]);
    });
});

describe("till quantities", () => {
    function asker(answer) {
        const asks = [];
        const answers = [];
        const errors = [];
        const quantities = new QuantityAsker(
            (productIds) => {
                asks.push(productIds);
                return answer(productIds);
            },
            (productIds, rows) => answers.push([productIds, rows]),
            (error) => errors.push(error.message)
        );
        return { quantities, asks, answers, errors };
    }

    test("the products of one screen are asked for in one call, each once", async () => {
        const { quantities, asks, answers } = asker(async (ids) =>
            ids.map((id) => [id, 8, null, id * 10])
        );
        quantities.want([1, 2]);
        quantities.want([2, 3]);
        expect(asks).toEqual([]);
        await advanceTime(ASK_DELAY_MS);
        await tick();
        expect(asks).toEqual([[1, 2, 3]]);
        expect(answers).toEqual([
            [
                [1, 2, 3],
                [
                    [1, 8, null, 10],
                    [2, 8, null, 20],
                    [3, 8, null, 30],
                ],
            ],
        ]);
        quantities.want([1, 2, 3]);
        await advanceTime(ASK_DELAY_MS);
        expect(asks.length).toBe(1);
        expect(quantities.has(2)).toBe(true);
        expect(quantities.has(4)).toBe(false);
    });

    test("a bus message that arrives during the call wins over its answer", async () => {
        const reply = new Deferred();
        const { quantities, answers } = asker(() => reply);
        quantities.want([1, 2]);
        await advanceTime(ASK_DELAY_MS);
        quantities.sawBusRows([[1, 8, null, 4]]); // a sale while the call is out
        reply.resolve([
            [1, 8, null, 5],
            [2, 8, null, 7],
        ]);
        await tick();
        expect(answers).toEqual([[[1, 2], [[2, 8, null, 7]]]]);
    });

    test("a failed call leaves its products to be asked again", async () => {
        let fail = true;
        const { quantities, asks, answers, errors } = asker(async (ids) => {
            if (fail) {
                throw new Error("offline");
            }
            return ids.map((id) => [id, 8, null, 1]);
        });
        const call = quantities.want([1]);
        await advanceTime(ASK_DELAY_MS);
        await call; // no rejection reaches the till: no error dialog per screen
        expect(errors).toEqual(["offline"]);
        expect(answers).toEqual([]);
        expect(quantities.has(1)).toBe(false);
        fail = false;
        quantities.want([1]);
        await advanceTime(ASK_DELAY_MS);
        await tick();
        expect(asks).toEqual([[1], [1]]);
        expect(quantities.has(1)).toBe(true);
    });

    test("totals change only for asked products, a product without quants is 0", () => {
        const totals = { 1: 5, 2: 9 };
        const quants = quantsByKey([
            [1, 8, null, 4],
            [3, 8, null, 6],
        ]);
        refreshTotals(totals, quants, (id) => id !== 3);
        expect(totals).toEqual({ 1: 4, 2: 0 });
    });

    test("a card sums its variants once every one is known", () => {
        expect(cardQuantity({ 1: 2, 2: 3 }, [1, 2])).toEqual({ quantity: 5, missing: [] });
        expect(cardQuantity({ 1: 2 }, [1, 2])).toEqual({ quantity: undefined, missing: [2] });
        expect(cardQuantity({ 1: 0 }, [1])).toEqual({ quantity: 0, missing: [] });
    });
});
