/** @odoo-module **/
import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import {
    LIVE_STOCK_NOTIFICATION,
    acquireChannel,
    applyQuantRows,
    formatQuantity,
    liveStockChannel,
    quantKey,
    releaseChannel,
    totalsByProduct,
} from "./live_stock_model";

/**
 * Inventory > Real-time Stock > Live stock: a store's stock by product,
 * its latest device reads and its negative stock, updated from the bus.
 */
export class LiveStockAction extends Component {
    static template = "retail_realtime_stock.LiveStockAction";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.busService = this.env.services.bus_service;
        this.formatQuantity = formatQuantity;
        this.state = useState({
            stores: [],
            warehouseId: false,
            search: "",
            products: {},
            locations: {},
            quants: {},
            events: [],
            updated: {},
            lastUpdate: false,
            loading: true,
        });
        this.locationIds = new Set();
        this.channel = false;
        this.onQuants = this.onQuants.bind(this);
        this.reloadSnapshot = useDebounced(() => this.loadSnapshot(), 300);
        this.reloadEvents = useDebounced(() => this.loadEvents(), 300);
        this.onSearchInput = useDebounced(() => this.loadSnapshot(), 300);

        onWillStart(async () => {
            this.state.stores = await this.orm.call("rrs.live.stock", "get_stores", []);
            const wanted = this.props.action?.context?.warehouse_id;
            const first = this.state.stores.find((store) => store.id === wanted);
            await this.selectStore((first || this.state.stores[0])?.id || false);
            this.busService.subscribe(LIVE_STOCK_NOTIFICATION, this.onQuants);
        });
        onWillUnmount(() => {
            this.busService.unsubscribe(LIVE_STOCK_NOTIFICATION, this.onQuants);
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
        ]);
        if (warehouseId !== this.state.warehouseId) {
            return; // the user switched stores meanwhile
        }
        this.locationIds = new Set(snapshot.location_ids);
        const quants = {};
        for (const [productId, locationId, lotId, quantity] of snapshot.quants) {
            quants[quantKey(productId, locationId, lotId)] = {
                productId,
                locationId,
                lotId,
                quantity,
            };
        }
        Object.assign(this.state, {
            products: snapshot.products,
            locations: snapshot.locations,
            quants,
            events: snapshot.events,
            loading: false,
        });
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
        const changed = applyQuantRows(this.state.quants, this.locationIds, payload.quants);
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
        if (changed.some((productId) => !(productId in this.state.products))) {
            if (!this.state.search) {
                this.reloadSnapshot(); // a product this view has not seen yet
            }
        }
        this.reloadEvents();
    }

    get productRows() {
        const totals = totalsByProduct(this.state.quants);
        return Object.entries(this.state.products)
            .map(([id, product]) => ({
                id: Number(id),
                name: product.name,
                uom: product.uom,
                quantity: totals[id] || 0,
                updated: this.state.updated[id],
            }))
            .sort((a, b) => a.name.localeCompare(b.name));
    }

    get negativeQuants() {
        return Object.values(this.state.quants)
            .filter((quant) => quant.quantity < 0 && quant.productId in this.state.products)
            .map((quant) => ({
                key: quantKey(quant.productId, quant.locationId, quant.lotId),
                productId: quant.productId,
                product: this.state.products[quant.productId].name,
                location: this.state.locations[quant.locationId] || "",
                quantity: quant.quantity,
            }));
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
