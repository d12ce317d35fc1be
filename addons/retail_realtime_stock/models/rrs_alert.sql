-- Copyright 2026 Retail Realtime Stock developers
-- License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
-- Stock alerts and replenishment requests raised with the stock change (issue 16).
-- Generated from ingest_core/odoo/alerts.py FUNCTIONS_DDL; tests/test_alerts.py
-- requires this file (without these comment lines) to equal it.
-- Loaded by models/rrs_alert.py at install and upgrade; docs/decisions/alerts.md.

-- The rule of a kind for a store and a product category: the most specific
-- active row (store and category, store, category, neither); no row: enabled
-- with the kind's default threshold.
CREATE OR REPLACE FUNCTION rrs_alert_rule_for(p_kind varchar, p_warehouse integer,
                                              p_categ integer, p_default numeric,
                                              OUT enabled boolean, OUT threshold numeric,
                                              OUT threshold_value numeric)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(r.enabled, true), coalesce(r.threshold, p_default), r.threshold_value
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (
            SELECT r.enabled, r.threshold, r.threshold_value
              FROM rrs_alert_rule r
              LEFT JOIN product_category rc ON rc.id = r.categ_id
             WHERE r.kind = p_kind AND coalesce(r.active, true)
               AND (r.warehouse_id IS NULL OR r.warehouse_id = p_warehouse)
               AND (r.categ_id IS NULL OR EXISTS (
                        SELECT 1 FROM product_category pc
                         WHERE pc.id = p_categ AND pc.parent_path LIKE rc.parent_path || '%'))
             ORDER BY r.warehouse_id IS NULL, length(rc.parent_path) DESC NULLS LAST, r.id
             LIMIT 1) AS r ON true
$$;

-- Reconcile the quant kinds' alerts of the touched (product, location) pairs
-- with the stock after the change; request replenishment for new below_min
-- alerts of automatic orderpoints; queue the bus messages and the wake-up.
CREATE OR REPLACE FUNCTION rrs_alert_quants(p_products integer[], p_locations integer[],
                                            p_deltas numeric[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp := now() AT TIME ZONE 'UTC';
    v_first_event integer := nullif(current_setting('rrs.first_event_id', true), '')::integer;
    v_changed integer[];
    v_cron integer;
    v_channels text[];
BEGIN
    WITH touched AS (
        SELECT t.p AS product_id, t.l AS location_id, sum(t.d) AS delta,
               min(ql.parent_path) AS path, min(ql.warehouse_id) AS warehouse_id
          FROM unnest(p_products, p_locations, p_deltas) AS t(p, l, d)
          JOIN stock_location ql ON ql.id = t.l AND ql.usage = 'internal'
         GROUP BY t.p, t.l),
    -- the scopes: each orderpoint whose location holds a touched quant, and the store
    scope AS (
        (SELECT DISTINCT ON (t.product_id, op.id)
                t.product_id, op.location_id AS scope_id, ol.parent_path AS scope_path,
                op.id AS orderpoint_id, op.product_min_qty, op.product_max_qty,
                op.warehouse_id, op.company_id, false AS store, t.delta
           FROM touched t
           JOIN stock_warehouse_orderpoint op
             ON op.product_id = t.product_id AND coalesce(op.active, true)
           JOIN stock_location ol ON ol.id = op.location_id
          WHERE t.path LIKE ol.parent_path || '%')
        UNION ALL
        SELECT t.product_id, w.lot_stock_id, sl.parent_path, NULL, NULL, NULL,
               w.id, w.company_id, true, sum(t.delta)
          FROM touched t
          JOIN stock_warehouse w ON w.id = t.warehouse_id
          JOIN stock_location sl ON sl.id = w.lot_stock_id
         WHERE t.path LIKE sl.parent_path || '%'
         GROUP BY t.product_id, w.id, sl.parent_path),
    scope_onhand AS (
        SELECT s.*, coalesce((
                   SELECT sum(q.quantity)
                     FROM stock_location c
                     JOIN stock_quant q ON q.location_id = c.id AND q.product_id = s.product_id
                    WHERE c.parent_path LIKE s.scope_path || '%' AND c.usage = 'internal'),
                   0) AS qty
          FROM scope s),
    evaluated AS (
        SELECT 'below_min'::varchar AS kind, s.product_id, s.scope_id AS location_id,
               s.warehouse_id, s.company_id, s.orderpoint_id, s.qty,
               s.product_min_qty AS threshold, s.qty < s.product_min_qty AS condition
          FROM scope_onhand s WHERE NOT s.store
        UNION ALL
        SELECT 'over_max', s.product_id, s.scope_id, s.warehouse_id, s.company_id,
               s.orderpoint_id, s.qty, s.product_max_qty,
               s.product_max_qty > 0 AND s.qty > s.product_max_qty
          FROM scope_onhand s WHERE NOT s.store
        UNION ALL
        SELECT 'out_of_stock', s.product_id, s.scope_id, s.warehouse_id, s.company_id,
               NULL, s.qty, 0,
               s.qty <= 0 AND (s.delta < 0 OR EXISTS (
                   SELECT 1 FROM rrs_stock_daily d
                    WHERE d.product_id = s.product_id AND d.warehouse_id = s.warehouse_id
                      AND d.qty_sold > 0
                      AND d.day >= v_now::date - (rrs_alert_rule_for(
                          'out_of_stock', s.warehouse_id, NULL, 30)).threshold::integer))
          FROM scope_onhand s WHERE s.store
        UNION ALL
        SELECT 'negative_stock', t.product_id, t.location_id, t.warehouse_id,
               loc.company_id, NULL, oh.qty, 0, oh.qty < 0
          FROM touched t
          JOIN stock_location loc ON loc.id = t.location_id,
               LATERAL (SELECT coalesce(sum(q.quantity), 0) AS qty FROM stock_quant q
                         WHERE q.product_id = t.product_id
                           AND q.location_id = t.location_id) AS oh),
    decided AS MATERIALIZED (
        SELECT e.*, e.condition AND CASE WHEN e.condition THEN (rrs_alert_rule_for(
                   e.kind, e.warehouse_id, (SELECT pt.categ_id FROM product_product pp
                                             JOIN product_template pt
                                               ON pt.id = pp.product_tmpl_id
                                            WHERE pp.id = e.product_id), NULL)).enabled
               END AS wanted
          FROM evaluated e),
    upserted AS (
        INSERT INTO rrs_alert AS a (kind, state, product_id, location_id, warehouse_id,
                                    company_id, orderpoint_id, quantity, threshold, opened_at,
                                    updated_at, update_count, dispatched, create_uid,
                                    create_date, write_uid, write_date)
        SELECT kind, 'open', product_id, location_id, warehouse_id, company_id,
               orderpoint_id, qty, threshold, v_now, v_now, 0, false, 1, v_now, 1, v_now
          FROM decided WHERE wanted
        ON CONFLICT (kind, coalesce(product_id, 0), coalesce(location_id, 0),
                     coalesce(device_id, 0)) WHERE state = 'open'
        DO UPDATE SET quantity = EXCLUDED.quantity, threshold = EXCLUDED.threshold,
                      updated_at = EXCLUDED.updated_at, update_count = a.update_count + 1,
                      write_date = EXCLUDED.write_date
                WHERE a.quantity IS DISTINCT FROM EXCLUDED.quantity
        RETURNING a.id, a.xmax = 0 AS inserted),
    closed AS (
        UPDATE rrs_alert a
           SET state = 'closed', closed_at = v_now, close_reason = 'cleared',
               quantity = d.qty, updated_at = v_now, write_date = v_now
          FROM decided d
         WHERE NOT d.wanted AND a.state = 'open' AND a.kind = d.kind
           AND a.product_id = d.product_id AND a.location_id = d.location_id
        RETURNING a.id)
    SELECT array_agg(id) INTO v_changed
      FROM (SELECT id FROM upserted WHERE inserted UNION ALL SELECT id FROM closed) AS c;

    IF v_changed IS NULL THEN
        RETURN;
    END IF;

    IF v_first_event IS NOT NULL THEN  -- the read that raised it (the fast path's)
        UPDATE rrs_alert a
           SET event_id = (SELECT max(ev.id) FROM rrs_event ev
                            WHERE ev.id >= v_first_event AND ev.product_id = a.product_id
                              AND ev.warehouse_id = a.warehouse_id)
         WHERE a.id = ANY(v_changed) AND a.state = 'open';
    END IF;

    INSERT INTO rrs_replenish_request (orderpoint_id, alert_id, event_id, product_id,
                                       warehouse_id, company_id, quantity, requested_at,
                                       state, create_uid, create_date, write_uid, write_date)
    SELECT a.orderpoint_id, a.id, a.event_id, a.product_id, a.warehouse_id, a.company_id,
           a.quantity, v_now, 'pending', 1, v_now, 1, v_now
      FROM rrs_alert a
      JOIN stock_warehouse_orderpoint op ON op.id = a.orderpoint_id
     WHERE a.id = ANY(v_changed) AND a.state = 'open' AND a.kind = 'below_min'
       AND op.trigger = 'auto' AND (op.snoozed_until IS NULL OR op.snoozed_until <= v_now::date)
    ON CONFLICT (orderpoint_id) WHERE state = 'pending' DO NOTHING;

    -- the add-on's job: notifications and activities for new alerts, the requests
    SELECT res_id INTO v_cron FROM ir_model_data
     WHERE module = 'retail_realtime_stock' AND name = 'ir_cron_rrs_alert_actions';
    IF v_cron IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM ir_cron_trigger WHERE cron_id = v_cron AND call_at <= v_now) THEN
        INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date, write_uid,
                                     write_date)
        VALUES (v_cron, v_now, 1, v_now, 1, v_now);
    END IF;

    WITH message AS (
        INSERT INTO bus_bus (channel, message, create_uid, create_date, write_uid, write_date)
        SELECT '[' || to_json(current_database())::text || ',"rrs_stock_' || a.warehouse_id
               || '"]',
               json_build_object('type', 'rrs_alert', 'payload', json_build_object(
                   'id', a.id, 'kind', a.kind, 'state', a.state, 'product_id', a.product_id,
                   'location_id', a.location_id, 'warehouse_id', a.warehouse_id,
                   'quantity', a.quantity, 'threshold', a.threshold))::text,
               1, v_now, 1, v_now
          FROM rrs_alert a
         WHERE a.id = ANY(v_changed) AND a.warehouse_id IS NOT NULL
        RETURNING channel)
    SELECT array_agg(DISTINCT channel) INTO v_channels FROM message;

    PERFORM pg_notify('rrs_wakeup', json_build_object(
        'db', current_database(), 'channels', coalesce(v_channels, '{}'),
        'cron', v_cron IS NOT NULL)::text);
END
$$;

-- The triggers' side: the quants whose quantity changed, with the change.
CREATE OR REPLACE FUNCTION rrs_alert_quant_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_products integer[];
    v_locations integer[];
    v_deltas numeric[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.product_id), array_agg(n.location_id), array_agg(n.quantity)
          INTO v_products, v_locations, v_deltas
          FROM rrs_new_quants n WHERE coalesce(n.quantity, 0) <> 0;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(o.product_id), array_agg(o.location_id), array_agg(-o.quantity)
          INTO v_products, v_locations, v_deltas
          FROM rrs_old_quants o WHERE coalesce(o.quantity, 0) <> 0;
    ELSE
        SELECT array_agg(c.product_id), array_agg(c.location_id), array_agg(c.delta)
          INTO v_products, v_locations, v_deltas
          FROM (SELECT n.product_id, n.location_id,
                       coalesce(n.quantity, 0) - coalesce(o.quantity, 0) AS delta
                  FROM rrs_new_quants n JOIN rrs_old_quants o ON o.id = n.id
                 WHERE n.product_id = o.product_id AND n.location_id = o.location_id
                   AND n.quantity IS DISTINCT FROM o.quantity
                UNION ALL
                SELECT x.product_id, x.location_id, x.delta
                  FROM rrs_new_quants n JOIN rrs_old_quants o ON o.id = n.id,
                       LATERAL (VALUES (o.product_id, o.location_id, -coalesce(o.quantity, 0)),
                                       (n.product_id, n.location_id, coalesce(n.quantity, 0)))
                               AS x(product_id, location_id, delta)
                 WHERE n.product_id <> o.product_id OR n.location_id <> o.location_id) AS c;
    END IF;
    IF v_products IS NOT NULL THEN
        PERFORM rrs_alert_quants(v_products, v_locations, v_deltas);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS rrs_alert_quant_insert ON stock_quant;
DROP TRIGGER IF EXISTS rrs_alert_quant_update ON stock_quant;
DROP TRIGGER IF EXISTS rrs_alert_quant_delete ON stock_quant;
CREATE TRIGGER rrs_alert_quant_insert AFTER INSERT ON stock_quant
    REFERENCING NEW TABLE AS rrs_new_quants
    FOR EACH STATEMENT EXECUTE FUNCTION rrs_alert_quant_changed();
CREATE TRIGGER rrs_alert_quant_update AFTER UPDATE ON stock_quant
    REFERENCING OLD TABLE AS rrs_old_quants NEW TABLE AS rrs_new_quants
    FOR EACH STATEMENT EXECUTE FUNCTION rrs_alert_quant_changed();
CREATE TRIGGER rrs_alert_quant_delete AFTER DELETE ON stock_quant
    REFERENCING OLD TABLE AS rrs_old_quants
    FOR EACH STATEMENT EXECUTE FUNCTION rrs_alert_quant_changed();
ALTER TABLE stock_quant ENABLE ALWAYS TRIGGER rrs_alert_quant_insert;
ALTER TABLE stock_quant ENABLE ALWAYS TRIGGER rrs_alert_quant_update;
ALTER TABLE stock_quant ENABLE ALWAYS TRIGGER rrs_alert_quant_delete;
