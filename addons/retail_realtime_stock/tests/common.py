# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase, new_test_user


def create_fast_path_move(
    env, product, source, destination, quantity, state="done", price_unit=None
):
    """Write a done move the way the ingest does: no _action_done, no valuation.

    The quants are changed directly, as the ingest's group-commit writer does.
    """
    move = env["stock.move"].create(
        {
            "name": "Device read",
            "product_id": product.id,
            "product_uom": product.uom_id.id,
            "product_uom_qty": quantity,
            "price_unit": price_unit or 0.0,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "company_id": (source.company_id or destination.company_id or env.company).id,
            "move_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "product_uom_id": product.uom_id.id,
                        "quantity": quantity,
                        "picked": True,
                        "location_id": source.id,
                        "location_dest_id": destination.id,
                    },
                )
            ],
        }
    )
    move.write({"state": state, "picked": True})
    quants = env["stock.quant"]
    if source.usage == "internal":
        quants._update_available_quantity(product, source, -quantity)
    if destination.usage == "internal":
        quants._update_available_quantity(product, destination, quantity)
    return move


def create_done_picking(env, picking_type, source, destination, quantity, product):
    """A picking with one move, confirmed and validated as a user does in Odoo."""
    picking = env["stock.picking"].create(
        {
            "picking_type_id": picking_type.id,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "name": product.name,
                        "product_id": product.id,
                        "product_uom": product.uom_id.id,
                        "product_uom_qty": quantity,
                        "location_id": source.id,
                        "location_dest_id": destination.id,
                    },
                )
            ],
        }
    )
    picking.action_confirm()
    picking.action_assign()
    picking.move_ids.write({"quantity": quantity, "picked": True})
    picking.button_validate()
    return picking


def set_quant_quantity(env, product, location, quantity):
    """Change a quant's quantity in SQL, as the ingest's writer does (the triggers run)."""
    env.flush_all()
    env.cr.execute(
        "UPDATE stock_quant SET quantity = %s WHERE product_id = %s AND location_id = %s",
        (quantity, product.id, location.id),
    )
    env.invalidate_all()


def create_resupplied_store(env, name, code, supplier_warehouse):
    """A store whose stock is resupplied from ``supplier_warehouse`` (Odoo's
    *Resupply From*: a transfer from its stock through transit to the store)."""
    return env["stock.warehouse"].create(
        {"name": name, "code": code, "resupply_wh_ids": [(6, 0, supplier_warehouse.ids)]}
    )


def create_threshold_orderpoint(env, product, warehouse, minimum=5.0, maximum=20.0):
    """An automatic min/max reorder rule on the store's stock, by its resupply route."""
    return env["stock.warehouse.orderpoint"].create(
        {
            "product_id": product.id,
            "warehouse_id": warehouse.id,
            "location_id": warehouse.lot_stock_id.id,
            "route_id": warehouse.resupply_route_ids[:1].id,
            "trigger": "auto",
            "product_min_qty": minimum,
            "product_max_qty": maximum,
        }
    )


class RrsCommon(TransactionCase):
    """Two stores (S01, S02), a device, an event and a quarantined read in each,
    a user per store and a manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.customer_location = cls.env.ref("stock.stock_location_customers")
        cls.product = cls._create_product("RRS soap", "4012345000009")
        cls.store_s01 = cls._create_warehouse("RRS Store S01", "RS01")
        cls.store_s02 = cls._create_warehouse("RRS Store S02", "RS02")
        cls.device_s01 = cls._create_device("S01 checkout scanner", cls.store_s01)
        cls.device_s02 = cls._create_device("S02 checkout scanner", cls.store_s02)
        cls.event_s01 = cls._create_event(cls.device_s01, "S01-SCN-1:000001")
        cls.event_s02 = cls._create_event(cls.device_s02, "S02-SCN-1:000001")
        cls.quarantine_s01 = cls._create_quarantine(cls.device_s01, "S01-SCN-1:000002")
        cls.quarantine_s02 = cls._create_quarantine(cls.device_s02, "S02-SCN-1:000002")
        cls.user_s01 = cls._create_user("rrs_user_s01", "group_rrs_user", cls.store_s01)
        cls.user_s02 = cls._create_user("rrs_user_s02", "group_rrs_user", cls.store_s02)
        cls.manager = cls._create_user("rrs_manager", "group_rrs_manager")

    @classmethod
    def _create_product(cls, name, barcode, **vals):
        return cls.env["product.product"].create(
            {"name": name, "barcode": barcode, "is_storable": True, **vals}
        )

    @classmethod
    def _create_warehouse(cls, name, code):
        return cls.env["stock.warehouse"].create({"name": name, "code": code})

    @classmethod
    def _create_device(cls, name, warehouse, **vals):
        return cls.env["rrs.device"].create({"name": name, "warehouse_id": warehouse.id, **vals})

    @classmethod
    def _create_event(cls, device, read_key, **vals):
        return cls.env["rrs.event"].create(
            {
                "device_id": device.id,
                "read_key": read_key,
                "operation": "sale",
                "code": cls.product.barcode,
                "product_id": cls.product.id,
                "quantity": 1.0,
                "location_id": device.location_id.id,
                "location_dest_id": cls.customer_location.id,
                "warehouse_id": device.warehouse_id.id,
                "company_id": device.company_id.id,
                **vals,
            }
        )

    @classmethod
    def _create_quarantine(cls, device, read_key, **vals):
        return cls.env["rrs.quarantine"].create(
            {
                "device_id": device.id,
                "read_key": read_key,
                "raw": {"key": read_key, "code": "4012345000001", "qty": 1, "op": "sale"},
                "reason_code": "bad_check_digit",
                "reason": "GTIN check digit is 9, not 1",
                **vals,
            }
        )

    @classmethod
    def _create_epcis_partner(cls, name, company_prefixes, **vals):
        return cls.env["rrs.epcis.partner"].create(
            {"name": name, "company_prefixes": company_prefixes, **vals}
        )

    @classmethod
    def _create_user(cls, login, group, *warehouses):
        user = new_test_user(
            cls.env,
            login=login,
            groups=f"base.group_user,retail_realtime_stock.{group}",
        )
        if warehouses:
            user.rrs_warehouse_ids = [(6, 0, [warehouse.id for warehouse in warehouses])]
        return user
