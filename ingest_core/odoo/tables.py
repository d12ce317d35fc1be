"""Every Odoo table and column the ingest reads or writes, declared once.

What it is: the declaration that ``rtstock db check`` compares with a live
database, that ``rtstock db init`` and the *own* test/demo schema are
generated from, and that ``ingest_core.odoo.sql`` builds its statements from.

How it works: each table is a ``Table`` with a compact column spec
``name:type[!][>referenced_table]`` (``!`` = NOT NULL; ``~`` instead of ``>``
names the referenced table without a foreign-key constraint). Types are the names
``information_schema.columns.data_type`` reports, abbreviated below. Tables
the ingest *inserts* into (``inserts=True``) are declared with every column
Odoo 18 gives them, so that a NOT NULL column we do not know about is caught
by the check instead of by a failed batch. Tables that are only read list
what is read plus their NOT NULL columns (needed to build the own schema).

Caveats: ``owner="addon"`` tables are created by ``retail_realtime_stock``;
their declaration must match the add-on's models (``tests/test_addon_live.py``
compares them where a live Odoo is present).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ingest_core.odoo import alerts, count_comparison, rollup
from ingest_core.odoo.sql import QUANT_KEY_INDEX

TYPE_NAMES: dict[str, str] = {
    "int": "integer",
    "num": "numeric",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "text": "text",
    "jsonb": "jsonb",
    "ts": "timestamp without time zone",
    "date": "date",
    "bytea": "bytea",
    "int[]": "integer[]",  # information_schema says "ARRAY" (Column.reported_type)
}


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # as information_schema reports it, except arrays (``reported_type``)
    not_null: bool = False
    references: str | None = None

    #: False where the column refers to ``references`` without a foreign-key constraint.
    enforced: bool = True

    @property
    def reported_type(self) -> str:
        """The type as ``information_schema.columns.data_type`` reports it."""
        return "ARRAY" if self.data_type.endswith("[]") else self.data_type

    @classmethod
    def parse(cls, spec: str) -> Column:
        name, _, rest = spec.partition(":")
        enforced = "~" not in rest
        rest, _, references = rest.replace("~", ">").partition(">")
        not_null = rest.endswith("!")
        short_type = rest.rstrip("!")
        return cls(name, TYPE_NAMES[short_type], not_null, references or None, enforced)


@dataclass(frozen=True)
class Table:
    name: str
    owner: Literal["odoo", "addon"]
    columns: tuple[Column, ...]
    inserts: bool = False
    #: Extra DDL for the own schema / ``db init`` (indexes, unique constraints).
    ddl: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name}.{name} is not declared")


#: Each journaled event with its move (a view over ``rrs_event_batch``).
EVENT_MOVE_VIEW = """CREATE OR REPLACE VIEW rrs_event_move AS
    SELECT x.event_id, x.move_id, b.id AS batch_id
      FROM rrs_event_batch b, unnest(b.event_ids, b.move_ids) AS x(event_id, move_id)
     WHERE b.move_ids IS NOT NULL"""

MAGIC = "create_uid:int>res_users create_date:ts write_uid:int>res_users write_date:ts"
#: Magic columns without foreign-key constraints (high-volume add-on tables).
MAGIC_LOOSE = "create_uid:int~res_users create_date:ts write_uid:int~res_users write_date:ts"


def _table(name: str, owner: Literal["odoo", "addon"], spec: str, *, inserts: bool = False,
           ddl: tuple[str, ...] = ()) -> Table:
    columns = tuple(Column.parse(item) for item in spec.split())
    return Table(name, owner, columns, inserts, ddl)


ODOO_TABLES: tuple[Table, ...] = (
    _table("ir_module_module", "odoo",
           "id:int! name:varchar! state:varchar latest_version:varchar"),
    _table("res_users", "odoo", "id:int! login:varchar! active:bool"),
    # A store's or company's address: its time zone dates the EPCIS events.
    _table("res_partner", "odoo", "id:int! name:varchar tz:varchar"),
    _table("res_company", "odoo",
           "id:int! name:varchar! internal_transit_location_id:int>stock_location "
           "annual_inventory_day:int annual_inventory_month:varchar "
           "partner_id:int!>res_partner"),
    _table("uom_uom", "odoo", "id:int! name:jsonb! factor:num! rounding:num! uom_type:varchar!"),
    _table("ir_config_parameter", "odoo", "id:int! key:varchar! value:text! " + MAGIC,
           ddl=("ALTER TABLE ir_config_parameter ADD CONSTRAINT ir_config_parameter_key_uniq "
                "UNIQUE (key)",)),
    _table("ir_model_fields", "odoo", "id:int! model:varchar! name:varchar!"),
    _table("ir_default", "odoo",
           "id:int! field_id:int!>ir_model_fields company_id:int>res_company "
           "user_id:int>res_users condition:varchar json_value:varchar!"),
    _table("product_category", "odoo",
           "id:int! name:varchar! property_cost_method:jsonb parent_path:varchar"),
    _table("product_template", "odoo",
           "id:int! name:jsonb! categ_id:int!>product_category uom_id:int!>uom_uom "
           "type:varchar! tracking:varchar! "
           "is_storable:bool active:bool company_id:int>res_company "
           # named by the history import (a copy of a model product: every other column
           # keeps the model's value, ``odoo.history.copy_products``) and its figures
           "default_code:varchar list_price:num " + MAGIC),
    _table("product_product", "odoo",
           "id:int! product_tmpl_id:int!>product_template default_code:varchar "
           "barcode:varchar active:bool standard_price:jsonb " + MAGIC,
           ddl=("CREATE INDEX product_product__barcode_index ON product_product (barcode) "
                "WHERE barcode IS NOT NULL",)),
    _table("product_packaging", "odoo",
           "id:int! name:varchar! product_id:int!>product_product barcode:varchar qty:num "
           "company_id:int>res_company " + MAGIC),
    _table("stock_location", "odoo",
           "id:int! name:varchar! complete_name:varchar usage:varchar! "
           "location_id:int>stock_location warehouse_id:int company_id:int>res_company "
           "active:bool scrap_location:bool parent_path:varchar last_inventory_date:date "
           + MAGIC_LOOSE),
    _table("stock_warehouse", "odoo",
           "id:int! name:varchar! code:varchar! company_id:int!>res_company "
           "view_location_id:int!>stock_location lot_stock_id:int!>stock_location "
           "in_type_id:int out_type_id:int int_type_id:int pos_type_id:int active:bool "
           "partner_id:int>res_partner"),
    _table("stock_picking_type", "odoo",
           "id:int! name:jsonb! code:varchar! sequence_code:varchar! "
           "warehouse_id:int>stock_warehouse company_id:int!>res_company "
           "default_location_src_id:int!>stock_location "
           "default_location_dest_id:int!>stock_location sequence_id:int>ir_sequence active:bool"),
    _table("ir_sequence", "odoo",
           "id:int! name:varchar! code:varchar implementation:varchar! prefix:varchar "
           "suffix:varchar padding:int! number_next:int! number_increment:int! "
           "company_id:int>res_company active:bool use_date_range:bool"),
    _table("stock_picking", "odoo",
           "id:int! backorder_id:int return_id:int group_id:int location_id:int!>stock_location "
           "location_dest_id:int!>stock_location picking_type_id:int!>stock_picking_type "
           "partner_id:int company_id:int>res_company user_id:int>res_users owner_id:int "
           "name:varchar origin:varchar move_type:varchar! state:varchar priority:varchar "
           "picking_properties:jsonb note:text has_deadline_issue:bool printed:bool "
           "is_locked:bool scheduled_date:ts date_deadline:ts date:ts date_done:ts "
           "pos_session_id:int pos_order_id:int " + MAGIC,
           inserts=True),
    _table("stock_scrap", "odoo",
           "id:int! company_id:int!>res_company product_id:int!>product_product "
           "product_uom_id:int!>uom_uom lot_id:int>stock_lot package_id:int owner_id:int "
           "picking_id:int location_id:int!>stock_location scrap_location_id:int!>stock_location "
           "name:varchar! origin:varchar state:varchar scrap_qty:num! should_replenish:bool "
           "date_done:ts " + MAGIC,
           inserts=True),
    _table("stock_lot", "odoo",
           "id:int! name:varchar! product_id:int!>product_product product_uom_id:int>uom_uom "
           "company_id:int>res_company location_id:int>stock_location ref:varchar "
           "lot_properties:jsonb note:text standard_price:jsonb " + MAGIC,
           inserts=True,
           ddl=("CREATE INDEX stock_lot__product_id_index ON stock_lot (product_id)",)),
    _table("stock_quant", "odoo",
           "id:int! product_id:int!>product_product company_id:int>res_company "
           "location_id:int!>stock_location storage_category_id:int lot_id:int>stock_lot "
           "package_id:int owner_id:int user_id:int>res_users inventory_date:date "
           "quantity:num reserved_quantity:num! inventory_quantity:num "
           "inventory_diff_quantity:num inventory_quantity_set:bool in_date:ts! "
           "accounting_date:date " + MAGIC,
           inserts=True,
           ddl=("CREATE INDEX stock_quant__location_id_index ON stock_quant (location_id)",
                "CREATE INDEX stock_quant__product_id_index ON stock_quant (product_id)",
                "CREATE INDEX stock_quant__lot_id_index ON stock_quant (lot_id)",
                # the add-on's (init_addon_tables makes it where Odoo's tables exist)
                QUANT_KEY_INDEX)),
    _table("stock_move", "odoo",
           "id:int! sequence:int company_id:int!>res_company product_id:int!>product_product "
           "product_uom:int!>uom_uom location_id:int!>stock_location "
           "location_dest_id:int!>stock_location location_final_id:int>stock_location "
           "partner_id:int scrap_id:int>stock_scrap group_id:int rule_id:int "
           "picking_id:int>stock_picking picking_type_id:int>stock_picking_type "
           "origin_returned_move_id:int>stock_move "
           "restrict_partner_id:int warehouse_id:int>stock_warehouse package_level_id:int "
           "next_serial_count:int orderpoint_id:int product_packaging_id:int>product_packaging "
           "name:varchar! priority:varchar state:varchar origin:varchar procure_method:varchar! "
           "reference:varchar next_serial:varchar reservation_date:date description_picking:text "
           "product_qty:num product_uom_qty:num! quantity:num picked:bool scrapped:bool "
           "propagate_cancel:bool is_inventory:bool additional:bool date:ts! date_deadline:ts "
           "delay_alert_date:ts price_unit:float8 to_refund:bool " + MAGIC,
           inserts=True,
           ddl=("CREATE INDEX stock_move_product_location_index ON stock_move "
                "(product_id, location_id, location_dest_id, company_id, state)",
                "CREATE INDEX stock_move__product_id_index ON stock_move (product_id)")),
    _table("stock_move_line", "odoo",
           "id:int! picking_id:int>stock_picking move_id:int>stock_move "
           "company_id:int!>res_company "
           "product_id:int>product_product product_uom_id:int!>uom_uom package_id:int "
           "package_level_id:int lot_id:int>stock_lot result_package_id:int owner_id:int "
           "location_id:int!>stock_location location_dest_id:int!>stock_location "
           "lot_name:varchar state:varchar reference:varchar description_picking:text "
           "quantity:num quantity_product_uom:num picked:bool date:ts! " + MAGIC,
           inserts=True,
           ddl=("CREATE INDEX stock_move_line__move_id_index ON stock_move_line (move_id)",
                "CREATE INDEX stock_move_line__product_id_index ON stock_move_line (product_id)")),
    # Reorder rules: ``rtstock forecast replenish`` sets their min/max, creates missing ones.
    _table("stock_warehouse_orderpoint", "odoo",
           "id:int! warehouse_id:int!>stock_warehouse location_id:int!>stock_location "
           "product_id:int!>product_product product_category_id:int group_id:int "
           "company_id:int!>res_company route_id:int name:varchar! trigger:varchar! "
           "snoozed_until:date product_min_qty:num! product_max_qty:num! qty_multiple:num! "
           "qty_to_order_manual:num active:bool " + MAGIC,
           inserts=True),
    _table("bus_bus", "odoo", "id:int! channel:varchar message:varchar " + MAGIC, inserts=True),
    # The alert triggers wake the add-on's job (``alerts.CRON_XMLID``) as ``_trigger`` does.
    _table("ir_model_data", "odoo", "id:int! module:varchar! name:varchar! model:varchar! "
           "res_id:int"),
    _table("ir_cron_trigger", "odoo", "id:int! cron_id:int~ir_cron call_at:ts " + MAGIC,
           inserts=True),
)

ADDON_TABLES: tuple[Table, ...] = (
    _table("rrs_device", "addon",
           "id:int! name:varchar! kind:varchar! warehouse_id:int!>stock_warehouse "
           "location_id:int!>stock_location company_id:int!>res_company active:bool "
           "token_hash:varchar token_hint:varchar allow_sale:bool allow_return:bool "
           "allow_receipt:bool allow_transfer_out:bool allow_transfer_in:bool "
           "allow_scrap:bool allow_count:bool last_seen:ts last_error:varchar "
           "unknown_tags:int rfid_role:varchar rfid_antenna_zones:varchar training:bool "
           + MAGIC,
           ddl=("CREATE UNIQUE INDEX rrs_device_token_hash_uniq ON rrs_device (token_hash)",)),
    # Reads per device and UTC day by fate (device health), added every few seconds by the
    # writer outside its hot transaction.
    _table("rrs_device_daily", "addon",
           "id:int! device_id:int!~rrs_device day:date! applied:int! duplicate:int! "
           "rejected:int! " + MAGIC_LOOSE,
           inserts=True,
           ddl=("ALTER TABLE rrs_device_daily ADD CONSTRAINT rrs_device_daily_device_day_uniq "
                "UNIQUE (device_id, day)",)),
    # Suppliers allowed to query the EPCIS events of their GS1 company prefixes
    # (docs/decisions/epcis.md); the token is kept as its sha256, as a device's.
    _table("rrs_epcis_partner", "addon",
           "id:int! name:varchar! partner_id:int>res_partner company_prefixes:varchar "
           "all_products:bool token_hash:varchar token_hint:varchar active:bool "
           "company_id:int!>res_company "
           + MAGIC,
           ddl=("CREATE UNIQUE INDEX rrs_epcis_partner_token_hash_uniq ON rrs_epcis_partner "
                "(token_hash)",)),
    # The event log is append-only and written at tens of thousands of rows a second:
    # every foreign key costs a trigger call and a row lock on the referenced row per
    # inserted event, so none is enforced; the ingest resolves every reference from
    # these same tables a moment before (see docs/decisions/event-log.md).
    _table("rrs_event", "addon",
           "id:int! device_id:int!~rrs_device read_key:varchar! read_at:ts received_at:ts "
           "operation:varchar! code:varchar product_id:int!~product_product "
           "lot_id:int~stock_lot quantity:num location_id:int!~stock_location "
           "location_dest_id:int!~stock_location picking_type_id:int~stock_picking_type "
           "warehouse_id:int~stock_warehouse company_id:int!~res_company "
           "batch_id:int~rrs_event_batch create_uid:int~res_users create_date:ts "
           "write_uid:int~res_users write_date:ts",
           inserts=True,
           ddl=("ALTER TABLE rrs_event ADD CONSTRAINT rrs_event_device_key_uniq "
                "UNIQUE (device_id, read_key)",
                # RFID exit reads booked as losses (rfid_exit_movement = shrink): the
                # dashboard's shrink figure; a partial index, so other reads cost nothing.
                "CREATE INDEX rrs_event_rfid_shrink_idx ON rrs_event (warehouse_id, read_at) "
                "WHERE read_key ~ '^epc:.+:shrink$'")),
    # The journal's queue and the events' link to their moves, one row per insert of
    # events (docs/decisions/event-log.md): ``event_ids`` are the events that move stock,
    # ``move_ids`` (same order) the done moves the journal made of them; the event log
    # itself is never updated. ``virtual_by_journal``: the journal, not the writer, moves
    # the quants of the events' virtual locations (null on batches of add-on 18.0.1.1.0).
    _table("rrs_event_batch", "addon",
           "id:int! event_ids:int[]! move_ids:int[] received_at:ts! done_at:ts valued_at:ts "
           "virtual_by_journal:bool",
           inserts=True,
           ddl=("CREATE INDEX rrs_event_batch_pending_idx ON rrs_event_batch (id) "
                "WHERE move_ids IS NULL",
                "CREATE INDEX rrs_event_batch_unvalued_idx ON rrs_event_batch (id) "
                "WHERE move_ids IS NOT NULL AND valued_at IS NULL",
                "CREATE INDEX rrs_event_batch_move_ids_idx ON rrs_event_batch "
                "USING gin (move_ids)",
                EVENT_MOVE_VIEW)),
    # Reads of devices in training: checked like any other, logged here, never applied
    # (docs/decisions/training-mode.md). A log like the event log: no foreign key.
    _table("rrs_training_read", "addon",
           "id:int! device_id:int!~rrs_device read_key:varchar! read_at:ts received_at:ts "
           "operation:varchar! code:varchar product_id:int!~product_product lot_name:varchar "
           "quantity:num location_id:int!~stock_location location_dest_id:int!~stock_location "
           "warehouse_id:int~stock_warehouse company_id:int!~res_company "
           "create_uid:int~res_users create_date:ts write_uid:int~res_users write_date:ts",
           inserts=True,
           ddl=("ALTER TABLE rrs_training_read ADD CONSTRAINT rrs_training_read_device_key_uniq "
                "UNIQUE (device_id, read_key)",)),
    _table("rrs_quarantine", "addon",
           "id:int! device_id:int>rrs_device read_key:varchar raw:jsonb reason_code:varchar! "
           "reason:varchar received_at:ts state:varchar! event_id:int>rrs_event " + MAGIC,
           inserts=True,
           ddl=("CREATE INDEX rrs_quarantine_device_key_idx ON rrs_quarantine "
                "(device_id, read_key)",)),
    # RFID (docs/decisions/rfid-ingest.md): as for the event log, only device references
    # are enforced foreign keys; the rest are filled by the ingest from their own tables.
    _table("rrs_count_session", "addon",
           "id:int! name:varchar! warehouse_id:int!~stock_warehouse "
           "location_id:int!~stock_location company_id:int!~res_company "
           "device_id:int>rrs_device state:varchar! started_at:ts closed_at:ts "
           "auto_apply:bool user_id:int~res_users training:bool " + MAGIC_LOOSE,
           inserts=True,
           ddl=("CREATE INDEX rrs_count_session_open_idx ON rrs_count_session "
                "(location_id, device_id) WHERE state = 'open'",)),
    _table("rrs_count_epc", "addon",
           "id:int! session_id:int!~rrs_count_session epc:varchar! "
           "product_id:int~product_product lot_id:int~stock_lot seen_at:ts " + MAGIC_LOOSE,
           inserts=True,
           ddl=("ALTER TABLE rrs_count_epc ADD CONSTRAINT rrs_count_epc_session_epc_uniq "
                "UNIQUE (session_id, epc)",)),
    _table("rrs_epc", "addon",
           "id:int! epc:varchar! product_id:int~product_product lot_id:int~stock_lot "
           "state:varchar! location_id:int~stock_location last_seen:ts "
           "last_device_id:int>rrs_device " + MAGIC_LOOSE,
           inserts=True,
           ddl=("ALTER TABLE rrs_epc ADD CONSTRAINT rrs_epc_epc_uniq UNIQUE (epc)",
                "CREATE INDEX rrs_epc_location_state_idx ON rrs_epc (location_id, state)")),
    _table("rrs_count_line", "addon",
           "id:int! session_id:int!~rrs_count_session product_id:int!~product_product "
           "lot_id:int~stock_lot location_id:int!~stock_location expected:num counted:num "
           + MAGIC_LOOSE,
           inserts=True,
           ddl=("CREATE INDEX rrs_count_line_session_idx ON rrs_count_line (session_id)",
                count_comparison.FUNCTION_DDL)),
    # Rollups of the done moves for the analysis (docs/decisions/rollups.md), kept by
    # triggers on stock_move (``rollup.FUNCTIONS_DDL``, created with the hourly table).
    _table("rrs_stock_daily", "addon",
           "id:int! day:date! product_id:int!~product_product location_id:int!~stock_location "
           "warehouse_id:int~stock_warehouse company_id:int!~res_company "
           + " ".join(f"{name}:num!" for name in rollup.DAILY_COUNTERS) + " closing_qty:num",
           ddl=rollup.DAILY_INDEXES),
    _table("rrs_sales_hourly", "addon",
           "id:int! hour:ts! warehouse_id:int!~stock_warehouse company_id:int!~res_company "
           + " ".join(f"{name}:num!" for name in rollup.HOURLY_COUNTERS),
           ddl=rollup.HOURLY_INDEXES),
    _table("rrs_category_daily", "addon",
           "id:int! day:date! warehouse_id:int!~stock_warehouse "
           "categ_id:int!~product_category company_id:int!~res_company "
           + " ".join(f"{name}:num!" for name in rollup.CATEGORY_COUNTERS),
           ddl=rollup.CATEGORY_INDEXES),
    _table("rrs_stock_position", "addon",
           "id:int! product_id:int!~product_product location_id:int!~stock_location "
           "warehouse_id:int~stock_warehouse company_id:int!~res_company on_hand:num! "
           "last_sale_day:date last_day:date",
           ddl=(*rollup.POSITION_INDEXES, rollup.FUNCTIONS_DDL)),
    # Per reorder rule: forecast-driven or manual, what the forecast suggests, what it
    # replaced and why (docs/decisions/forecasting.md); Odoo's own table is not extended.
    _table("rrs_orderpoint_level", "addon",
           "id:int! orderpoint_id:int!~stock_warehouse_orderpoint mode:varchar! "
           "suggested_min:num suggested_max:num previous_min:num previous_max:num "
           "reason:varchar set_at:ts lead_days:num abc_class:varchar xyz_class:varchar "
           + MAGIC_LOOSE,
           inserts=True,
           ddl=("ALTER TABLE rrs_orderpoint_level ADD CONSTRAINT "
                "rrs_orderpoint_level_orderpoint_uniq UNIQUE (orderpoint_id)",)),
    # The ingest's scheduled jobs (the nightly forecast and replenishment) and the runs a
    # manager asks for from Odoo: requested, claimed by one ingest, done or failed.
    _table("rrs_job_run", "addon",
           "id:int! job:varchar! state:varchar! scheduled_for:ts requested_at:ts! "
           "started_at:ts finished_at:ts node:varchar detail:text " + MAGIC_LOOSE,
           inserts=True,
           ddl=("CREATE UNIQUE INDEX rrs_job_run_scheduled_uniq ON rrs_job_run "
                "(job, scheduled_for) WHERE scheduled_for IS NOT NULL",
                "CREATE INDEX rrs_job_run_state_idx ON rrs_job_run (state, id)")),
    # The latest demand forecast per product and store (``rtstock forecast run``).
    _table("rrs_forecast", "addon",
           "id:int! product_id:int!~product_product warehouse_id:int!~stock_warehouse "
           "company_id:int!~res_company date:date! mean:num! lo80:num hi80:num lo95:num "
           "hi95:num model:varchar! made_at:ts! " + MAGIC_LOOSE,
           inserts=True,
           ddl=("CREATE INDEX rrs_forecast_series_idx ON rrs_forecast "
                "(product_id, warehouse_id, date)",)),
    # Alerts and the replenishment they start (docs/decisions/alerts.md): Odoo models
    # written by the triggers of ``alerts.FUNCTIONS_DDL`` (created with the requests).
    _table("rrs_alert_rule", "addon",
           "id:int! kind:varchar! warehouse_id:int>stock_warehouse "
           "categ_id:int>product_category company_id:int>res_company active:bool "
           "enabled:bool threshold:num threshold_value:num " + MAGIC),
    _table("rrs_alert", "addon",
           "id:int! kind:varchar! state:varchar! product_id:int>product_product "
           "location_id:int>stock_location warehouse_id:int>stock_warehouse "
           "company_id:int>res_company orderpoint_id:int>stock_warehouse_orderpoint "
           "device_id:int>rrs_device quantity:num threshold:num opened_at:ts! updated_at:ts "
           "closed_at:ts close_reason:varchar close_note:text closed_by:int>res_users "
           "event_id:int>rrs_event update_count:int dispatched:bool " + MAGIC,
           inserts=True, ddl=alerts.ALERT_INDEXES),
    _table("rrs_replenish_request", "addon",
           "id:int! orderpoint_id:int!>stock_warehouse_orderpoint alert_id:int>rrs_alert "
           "event_id:int>rrs_event product_id:int>product_product "
           "warehouse_id:int>stock_warehouse company_id:int>res_company quantity:num "
           "requested_at:ts! state:varchar! done_at:ts qty_ordered:num result:varchar "
           "error:text " + MAGIC,
           inserts=True, ddl=(*alerts.REQUEST_INDEXES, alerts.FUNCTIONS_DDL)),
)

ALL_TABLES: tuple[Table, ...] = ODOO_TABLES + ADDON_TABLES
BY_NAME: dict[str, Table] = {table.name: table for table in ALL_TABLES}
