/** @odoo-module **/
/**
 * Guided tours for store staff, started from Inventory > Real-time Stock >
 * Guided tours (or with ?tour=<name> in the address). Their records
 * (data/web_tour_tour.xml) are "custom" so that they do not join the
 * administrator's onboarding; the steps are these ones.
 */
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

registry.category("web_tour.tours").add("rrs_tour_device_setup", {
    url: "/web#action=retail_realtime_stock.rrs_device_action",
    steps: () => [
        {
            trigger: ".o_list_button_add",
            content: _t("Register each barcode scanner or RFID reader of the store here."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='name'] input",
            content: _t("Give it a name the staff recognise, for example the till it sits on."),
            tooltipPosition: "bottom",
            run: "edit Tour checkout scanner",
        },
        {
            trigger: ".o_field_widget[name='kind'] select",
            content: _t("What kind of device it is: checkout scanner, fixed or handheld RFID reader, POS gate."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='warehouse_id'] input",
            content: _t("Its store. The stock location it sells from or counts follows the store."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            isActive: ["auto"],
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:first",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            content: _t("Choose the operations it may post below, then save the device."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_form_saved button[name='action_generate_token']",
            content: _t(
                "Generate its token and type it into the device or its store agent: it is shown only once."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".modal .modal-footer .btn",
            content: _t("Copy the token now, then close: Odoo keeps only its fingerprint."),
            tooltipPosition: "top",
            run: "click",
        },
    ],
});

registry.category("web_tour.tours").add("rrs_tour_quarantine", {
    url: "/web#action=retail_realtime_stock.rrs_quarantine_action",
    steps: () => [
        {
            trigger: ".o_list_view .o_data_row .o_data_cell",
            content: _t(
                "Reads the ingest refused wait here with their reason: unknown barcode, bad check digit, operation not allowed for the device..."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='raw_display']",
            content: _t("The read exactly as the device sent it: the code, quantity and operation."),
            tooltipPosition: "top",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='reason']",
            content: _t(
                "Fix the cause first (add the barcode to the product, allow the operation on the device), then Replay it; Discard what should never count."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
    ],
});

registry.category("web_tour.tours").add("rrs_tour_live_stock", {
    url: "/web#action=retail_realtime_stock.rrs_live_stock_action",
    steps: () => [
        {
            trigger: ".o_rrs_store_select",
            content: _t("Choose the store: you see the stores set on your user."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_rrs_search",
            content: _t("Search by product name, internal reference or barcode."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_rrs_stock_table",
            content: _t(
                "On-hand quantities change here as scanners, RFID gates and tills move stock, without reloading. Click a product to see its device reads."
            ),
            tooltipPosition: "top",
            run: "click",
        },
        {
            trigger: ".o_rrs_events_table",
            content: _t("The store's latest device reads. Negative stock is shown in red above the table."),
            tooltipPosition: "left",
            run: "click",
        },
    ],
});

registry.category("web_tour.tours").add("rrs_tour_alert", {
    url: "/web#action=retail_realtime_stock.rrs_alert_action",
    steps: () => [
        {
            trigger: ".o_rrs_alert_systray",
            content: _t(
                "The bell counts the open alerts of your stores. It changes the moment a read takes a product below its min, out of stock or negative."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row .o_data_cell[name='product_id']",
            content: _t("An alert has arrived: open it to see what crossed which limit."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='quantity']",
            content: _t(
                "On hand now and the limit it crossed. The alert closes by itself when the stock comes back; close it yourself with a reason otherwise."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name='action_view_pickings']",
            content: _t(
                "Below the min, Odoo has already ordered the replenishment, as Order once does: open the transfer to your store."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='scheduled_date']",
            content: _t("The triggered transfer: when it is planned to arrive, and what it brings."),
            tooltipPosition: "bottom",
            run: "click",
        },
    ],
});

registry.category("web_tour.tours").add("rrs_tour_count", {
    url: "/web#action=retail_realtime_stock.rrs_count_session_action",
    steps: () => [
        {
            trigger: ".o_list_button_add",
            content: _t("Start an RFID count of one area: a shelf, a stock room or the whole store."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='warehouse_id'] input",
            content: _t(
                "Your store. The area counted is its stock location; choose a location under it to count one shelf or room."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            isActive: ["auto"],
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('RRS Guided Store')",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            content: _t(
                "Save: the count is open. Now walk the area with the RFID handheld: each tag it reads is counted once."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            // The handheld's reads, in the test: what the ingest writes for them.
            isActive: ["auto"],
            trigger: ".o_form_saved button[name='action_stop']",
            async run() {
                await rpc("/web/dataset/call_kw/rrs.count.session/rrs_test_handheld_reads", {
                    model: "rrs.count.session",
                    method: "rrs_test_handheld_reads",
                    args: [],
                    kwargs: {},
                });
            },
        },
        {
            trigger: ".o_form_saved button[name='action_stop']",
            content: _t(
                "When every shelf of the area is read, stop the count: Odoo compares the tags with the stock records."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            isActive: ["auto"],
            trigger: ".o_field_widget[name='line_ids'] .o_data_row:first",
        },
        {
            trigger: ".o_field_widget[name='accuracy_pct']",
            content: _t(
                "How far the records were right. Below, expected against counted per product: red lines are missing units, orange ones units the records did not know."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: "button[name='action_apply']",
            content: _t(
                "Check the red lines first (a shelf not read, a tag hidden in foil). Then apply: the stock becomes what you counted."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".modal-footer .btn-primary",
            content: _t("Confirm: Odoo's own inventory adjustment writes the differences."),
            tooltipPosition: "top",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status:has(.o_arrow_button_current:contains('Applied'))",
            content: _t("Applied: the count is in the stock and in its history."),
            tooltipPosition: "bottom",
            run: "click",
        },
    ],
});

registry.category("web_tour.tours").add("rrs_tour_analysis", {
    url: "/web#action=retail_realtime_stock.rrs_analysis_dashboard_action",
    steps: () => [
        {
            trigger: ".o_rrs_dashboard .o_rrs_store_select",
            content: _t("One store or the whole chain: every figure below follows this choice."),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".card:has(.card-header:contains('Top movers')) .o_rrs_clickable",
            content: _t(
                "The cards above give today's sales against the same weekday last week, stock outs, dead stock, days of cover, shrink and the accuracy of the records; the tables, the top movers, risers and fallers. Every figure and row opens the rows behind it: open a top mover."
            ),
            tooltipPosition: "top",
            run: "click",
        },
        {
            trigger: ".o_list_renderer .o_data_row button[name=action_view_moves]",
            content: _t(
                "A row per product, store and day. Its button opens the done stock moves behind it, and from a move the device reads that made it."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains('Moves of')",
            content: _t(
                "The moves of that row, as Odoo's own Moves Analysis lists them. The breadcrumb leads back to the dashboard. Printed reports: Analysis > Period reports."
            ),
            tooltipPosition: "bottom",
            run: "click",
        },
    ],
});
