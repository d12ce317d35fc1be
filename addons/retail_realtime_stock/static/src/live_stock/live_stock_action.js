/** @odoo-module **/
import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { Pager } from "@web/core/pager/pager";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import {
    LIVE_STOCK_NOTIFICATION,
    TRAINING_NOTIFICATION,
    acquireChannel,
    applyQuantRows,
    formatQuantity,
    liveStockChannel,
    quantKey,
    quantsByKey,
    releaseChannel,
    totalsByProduct,
} from "./live_stock_model";

const PAGE_SIZE = 80;

/**
 * Inventory > Real-time Stock > Live stock: a store's stock by product, a page
 * at a time (server-side paging, search and sort over any number of products),
 * its latest device reads and its negative stock, updated from the bus.
 */
export class LiveStockAction extends Component {
    static template = "retail_realtime_stock.LiveStockAction";
    static props = ["*"];
    static components = { Pager };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.busService = this.env.services.bus_service;
        this.formatQuantity = formatQuantity;
        this.state = useState({
            stores: [],
            warehouseId: false,
            search: "",
            order: "product",
            offset: 0,
            limit: PAGE_SIZE,
            total: 0,
            productIds: [],
            negatives: {},
            negativeNames: {},
            products: {},
            locations: {},
            quants: {},
            events: [],
            trainingDevices: [],
            trainingReads: 0,
            updated: {},
            lastUpdate: false,
            loading: true,
        });
        this.locationIds = new Set();
        this.channel = false;
        this.onQuants = this.onQuants.bind(this);
        this.onTraining = this.onTraining.bind(this);
        this.reloadSnapshot = useDebounced(() => this.loadSnapshot(), 300);
        this.reloadEvents = useDebounced(() => this.loadEvents(), 300);
        this.reloadNegatives = useDebounced(() => this.loadNegatives(), 300);
        this.onSearchInput = useDebounced(() => {
            this.state.offset = 0;
            this.loadSnapshot();
        }, 300);

        onWillStart(async () => {
            this.state.stores = await this.orm.call("rrs.live.stock", "get_stores", []);
            const wanted = this.props.action?.context?.warehouse_id;
            const first = this.state.stores.find((store) => store.id === wanted);
            await this.selectStore((first || this.state.stores[0])?.id || false);
            this.busService.subscribe(LIVE_STOCK_NOTIFICATION, this.onQuants);
            this.busService.subscribe(TRAINING_NOTIFICATION, this.onTraining);
        });
        onWillUnmount(() => {
            this.busService.unsubscribe(LIVE_STOCK_NOTIFICATION, this.onQuants);
            this.busService.unsubscribe(TRAINING_NOTIFICATION, this.onTraining);
            if (this.channel) {
                releaseChannel(this.busService, this.channel);
            }
        });
    }

    async selectStore(warehouseId) {
        if (this.channel) {
            releaseChannel(this.busService, this.channel);
            this.channel = false;
        }
        this.state.warehouseId = warehouseId;
        this.state.trainingReads = 0;
        if (!warehouseId) {
            this.state.loading = false;
            return;
        }
        this.channel = liveStockChannel(warehouseId);
        acquireChannel(this.busService, this.channel);
        await this.loadSnapshot();
    }

    async loadSnapshot() {
        const warehouseId = this.state.warehouseId;
        const snapshot = await this.orm.call("rrs.live.stock", "get_snapshot", [
            warehouseId,
            this.state.search,
            this.state.offset,
            this.state.limit,
            this.state.order,
        ]);
        if (warehouseId !== this.state.warehouseId) {
            return; // the user switched stores meanwhile
        }
        const negatives = quantsByKey(snapshot.negatives);
        this.locationIds = new Set(snapshot.location_ids);
        const quants = quantsByKey(snapshot.quants);
        Object.assign(this.state, {
            products: snapshot.products,
            productIds: snapshot.order,
            total: snapshot.total,
            offset: snapshot.offset,
            negatives,
            negativeNames: snapshot.negative_products,
            locations: snapshot.locations,
            quants,
            events: snapshot.events,
            trainingDevices: snapshot.training_devices,
            loading: false,
        });
    }

    /** Reads of the store's devices in training: counted on the banner, stock unchanged. */
    onTraining(payload) {
        if (payload && payload.warehouse_id === this.state.warehouseId) {
            this.state.trainingReads += payload.reads.length;
        }
    }

    async loadNegatives() {
        const warehouseId = this.state.warehouseId;
        if (!warehouseId) {
            return;
        }
        const answer = await this.orm.call("rrs.live.stock", "get_negatives", [warehouseId]);
        if (warehouseId !== this.state.warehouseId) {
            return;
        }
        const negatives = quantsByKey(answer.negatives);
        Object.assign(this.state, { negatives, negativeNames: answer.products });
    }

    async loadEvents() {
        if (this.state.warehouseId) {
            this.state.events = await this.orm.call("rrs.live.stock", "get_recent_events", [
                this.state.warehouseId,
            ]);
        }
    }

    onQuants(payload) {
        if (!payload || payload.warehouse_id !== this.state.warehouseId) {
            return;
        }
        // Quantities of the page's products; negative stock of any product of the store.
        const onPage = payload.quants.filter(([productId]) => productId in this.state.products);
        const changed = applyQuantRows(this.state.quants, this.locationIds, onPage);
        let unnamed = false;
        for (const [productId, locationId, lotId, quantity] of payload.quants) {
            if (!this.locationIds.has(locationId)) {
                continue;
            }
            const key = quantKey(productId, locationId, lotId);
            if (quantity < 0) {
                this.state.negatives[key] = { productId, locationId, lotId, quantity };
                unnamed ||= !(productId in this.state.negativeNames);
            } else {
                delete this.state.negatives[key];
            }
        }
        if (unnamed) {
            this.reloadNegatives();
        }
        const now = Date.now();
        for (const productId of changed) {
            this.state.updated[productId] = now;
        }
        // Drop the highlight after its animation so that the next change flashes again.
        setTimeout(() => {
            for (const productId of changed) {
                if (this.state.updated[productId] === now) {
                    delete this.state.updated[productId];
                }
            }
        }, 1600);
        this.state.lastUpdate = luxon.DateTime.now().toLocaleString(
            luxon.DateTime.TIME_WITH_SECONDS
        );
        if (this.state.total < this.state.limit && !this.state.search) {
            // all the store's products fit this page: one it has never shown joins it
            if (payload.quants.some(([productId]) => !(productId in this.state.products))) {
                this.reloadSnapshot();
            }
        }
        this.reloadEvents();
    }

    /** The page's rows, in the server's order; sorted by on hand, kept so as it changes. */
    get productRows() {
        const totals = totalsByProduct(this.state.quants);
        const rows = this.state.productIds
            .filter((id) => id in this.state.products)
            .map((id) => ({
                id,
                name: this.state.products[id].name,
                uom: this.state.products[id].uom,
                quantity: totals[id] || 0,
                updated: this.state.updated[id],
            }));
        if (this.state.order === "on_hand_asc") {
            rows.sort((a, b) => a.quantity - b.quantity);
        } else if (this.state.order === "on_hand_desc") {
            rows.sort((a, b) => b.quantity - a.quantity);
        }
        return rows;
    }

    get negativeQuants() {
        return Object.entries(this.state.negatives).map(([key, quant]) => ({
            key,
            productId: quant.productId,
            product:
                this.state.negativeNames[quant.productId] ||
                this.state.products[quant.productId]?.name ||
                "",
            location: this.state.locations[quant.locationId] || "",
            quantity: quant.quantity,
        }));
    }

    onPagerUpdate({ offset, limit }) {
        Object.assign(this.state, { offset, limit });
        return this.loadSnapshot();
    }

    onOrderChange(ev) {
        Object.assign(this.state, { order: ev.target.value, offset: 0 });
        this.loadSnapshot();
    }

    operationLabel(operation) {
        return (
            {
                sale: _t("Sale"),
                return: _t("Return"),
                receipt: _t("Receipt"),
                transfer_out: _t("Transfer out"),
                transfer_in: _t("Transfer in"),
                scrap: _t("Scrap"),
                count: _t("Count"),
            }[operation] || operation
        );
    }

    onStoreChange(ev) {
        this.state.loading = true;
        this.selectStore(Number(ev.target.value));
    }

    onSearch(ev) {
        this.state.search = ev.target.value;
        this.onSearchInput();
    }

    openProductMoves(productId) {
        this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Device events"),
            res_model: "rrs.event",
            views: [
                [false, "list"],
                [false, "form"],
            ],
            domain: [
                ["warehouse_id", "=", this.state.warehouseId],
                ["product_id", "=", productId],
            ],
        });
    }
}

registry.category("actions").add("rrs_live_stock", LiveStockAction);
