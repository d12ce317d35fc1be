# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Retail Realtime Stock",
    "summary": "Real-time store stock from barcode scanners and RFID readers",
    "version": "18.0.1.3.0",
    "category": "Inventory",
    "author": "Retail Realtime Stock developers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "uninstall_hook": "uninstall_hook",
    "depends": ["stock", "point_of_sale", "stock_account", "bus", "web_tour"],
    "data": [
        "security/rrs_security.xml",
        "security/ir.model.access.csv",
        "security/rrs_rules.xml",
        "data/ir_cron.xml",
        "wizards/rrs_device_token_wizard_views.xml",
        "views/rrs_device_views.xml",
        "views/rrs_event_views.xml",
        "views/rrs_quarantine_views.xml",
        "views/res_users_views.xml",
        "views/rrs_live_stock_views.xml",
        "views/rrs_count_session_views.xml",
        "report/rrs_sales_analysis_views.xml",
        "report/rrs_sales_hour_analysis_views.xml",
        "report/rrs_stock_daily_views.xml",
        "report/rrs_analysis_dashboard_views.xml",
        "data/web_tour_tour.xml",
        "views/stock_warehouse_orderpoint_views.xml",
        "views/rrs_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "retail_realtime_stock/static/src/live_stock/**/*",
            "retail_realtime_stock/static/src/analysis_dashboard/**/*",
            "retail_realtime_stock/static/src/tours/**/*",
        ],
        "point_of_sale._assets_pos": [
            "retail_realtime_stock/static/src/live_stock/live_stock_model.js",
            "retail_realtime_stock/static/src/pos/**/*",
        ],
        "web.assets_tests": [
            "retail_realtime_stock/static/tests/tours/**/*",
        ],
    },
}
