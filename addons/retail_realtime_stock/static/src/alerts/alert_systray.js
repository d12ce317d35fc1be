/** @odoo-module **/
/**
 * The systray's stock alert counter: the open alerts the user may see, kept
 * current from the `rrs_alert` messages that the stock_quant triggers (and a
 * user's close) put on the channels of the user's stores. A click opens the
 * Alerts list. Shown to Real-time Stock users only.
 */
import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import {
    ALERT_NOTIFICATION,
    acquireChannel,
    liveStockChannel,
    releaseChannel,
} from "../live_stock/live_stock_model";

export class AlertSystray extends Component {
    static template = "retail_realtime_stock.AlertSystray";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.busService = this.env.services.bus_service;
        this.state = useState({ visible: false, count: 0 });
        this.channels = [];
        // A burst of alerts (a Black Friday minute) is one count, not one per alert.
        this.reload = useDebounced(() => this.loadCount(), 500);
        this.onAlert = () => this.reload();

        onWillStart(async () => {
            if (!(await user.hasGroup("retail_realtime_stock.group_rrs_user"))) {
                return;
            }
            const data = await this.orm.call("rrs.alert", "get_systray_data", []);
            this.state.count = data.count;
            this.state.visible = true;
            this.channels = data.warehouse_ids.map(liveStockChannel);
            for (const channel of this.channels) {
                acquireChannel(this.busService, channel);
            }
            this.busService.subscribe(ALERT_NOTIFICATION, this.onAlert);
        });
        onWillUnmount(() => {
            if (this.state.visible) {
                this.busService.unsubscribe(ALERT_NOTIFICATION, this.onAlert);
            }
            for (const channel of this.channels) {
                releaseChannel(this.busService, channel);
            }
        });
    }

    async loadCount() {
        const data = await this.orm.call("rrs.alert", "get_systray_data", []);
        this.state.count = data.count;
    }

    onClick() {
        this.action.doAction("retail_realtime_stock.rrs_alert_action", {
            clearBreadcrumbs: true,
        });
    }
}

registry
    .category("systray")
    .add("retail_realtime_stock.AlertSystray", { Component: AlertSystray }, { sequence: 25 });
