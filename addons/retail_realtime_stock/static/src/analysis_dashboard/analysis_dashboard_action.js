/** @odoo-module **/
import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { LIVE_STOCK_NOTIFICATION, liveStockChannel } from "../live_stock/live_stock_model";

/**
 * Inventory > Real-time Stock > Analysis > Sales and stock dashboard.
 *
 * Every figure comes computed from `rrs.analysis.dashboard.get_dashboard_data`
 * (SQL over the rollups) with the window action that shows the rows behind it;
 * this component only lays them out, opens those actions and reloads when the
 * stores' stock changes (their live stock bus channels).
 */
export class AnalysisDashboardAction extends Component {
    static template = "retail_realtime_stock.AnalysisDashboardAction";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.busService = this.env.services.bus_service;
        this.state = useState({ data: false, warehouseId: false, loading: true });
        this.channels = [];
        this.onStockChange = this.onStockChange.bind(this);
        // The journal writes the moves (and so the rollups) within a second of the quants.
        this.reload = useDebounced(() => this.load(), 2000);
        onWillStart(async () => {
            this.state.warehouseId = this.props.action?.context?.warehouse_id || false;
            await this.load();
            this.busService.subscribe(LIVE_STOCK_NOTIFICATION, this.onStockChange);
        });
        onWillUnmount(() => {
            this.busService.unsubscribe(LIVE_STOCK_NOTIFICATION, this.onStockChange);
            this.listen([]);
        });
    }

    async load() {
        const warehouseId = this.state.warehouseId;
        const data = await this.orm.call("rrs.analysis.dashboard", "get_dashboard_data", [], {
            warehouse_id: warehouseId,
        });
        if (warehouseId !== this.state.warehouseId) {
            return; // the user switched stores meanwhile
        }
        this.state.data = data;
        this.state.loading = false;
        const ids = warehouseId ? [warehouseId] : data.stores.map((store) => store.id);
        this.listen(ids.map(liveStockChannel));
    }

    listen(channels) {
        for (const channel of this.channels.filter((name) => !channels.includes(name))) {
            this.busService.deleteChannel(channel);
        }
        for (const channel of channels.filter((name) => !this.channels.includes(name))) {
            this.busService.addChannel(channel);
        }
        this.channels = channels;
    }

    onStockChange(payload) {
        if (payload && this.channels.includes(liveStockChannel(payload.warehouse_id))) {
            this.reload();
        }
    }

    onStoreChange(ev) {
        this.state.warehouseId = Number(ev.target.value) || false;
        this.state.loading = true;
        this.load();
    }

    open(drill) {
        if (drill) {
            this.action.doAction(drill);
        }
    }

    money(value) {
        if (value === null || value === undefined) {
            return "–";
        }
        const { symbol, position } = this.state.data.currency;
        const amount = formatFloat(value, { digits: [false, 0] });
        return position === "before" ? `${symbol} ${amount}` : `${amount} ${symbol}`;
    }

    number(value, decimals = 0) {
        return value === null || value === undefined
            ? "–"
            : formatFloat(value, { digits: [false, decimals] });
    }

    percent(value) {
        return value === null || value === undefined ? "–" : `${formatFloat(value, { digits: [false, 1] })} %`;
    }

    change(value) {
        if (value === null || value === undefined) {
            return "";
        }
        return `${value >= 0 ? "+" : ""}${formatFloat(value, { digits: [false, 1] })} %`;
    }

    barWidth(value, rows, keys) {
        const top = Math.max(1, ...rows.flatMap((row) => keys.map((key) => row[key])));
        return `width: ${Math.max(0, (100 * value) / top)}%`;
    }

    get shrinkTotal() {
        return this.state.data.shrink.reduce((total, row) => total + row.value, 0);
    }

    abcCell(abc, xyz) {
        return this.state.data.abc_xyz.cells.find((cell) => cell.abc === abc && cell.xyz === xyz);
    }
}

registry.category("actions").add("rrs_analysis_dashboard", AnalysisDashboardAction);
