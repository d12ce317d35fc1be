"""Stock alerts and replenishment requests: the SQL that raises them with the change.

What it is: ``rrs_alert`` rows (below an orderpoint's min, over its max, out
of stock at a store, negative stock), ``rrs_replenish_request`` rows for the
orderpoints whose min was crossed, and the wake-up of Odoo's cron and bus,
written in a transaction that commits exactly with the stock change they
follow (docs/decisions/alerts.md).

How it works: ``rrs_alert_quants(products, locations, changes)`` finds, for
each changed (product, internal location), the rules whose location holds it,
the store and the location itself; sums on-hand there from the product's
quants (one index probe a product); and acts where a condition's value before
the change (on-hand less the change) differs from its value after: opens an
alert (one open per kind, product, location: concurrent writers meet on the
partial unique index) or closes the open one as cleared. New ``below_min``
alerts of automatic orderpoints add a pending request (one per orderpoint at
most) and an ``ir_cron_trigger`` for the add-on's job. Who calls it: the
ingest's journal (``evaluate``), in the transaction that turns the fast
path's committed reads into done moves, then ``announce`` puts the bus
messages in a short transaction of their own; for every other writer (Odoo's
ORM, imports), statement triggers on ``stock_quant``, in that writer's
transaction (the writer's transactions are marked ``rrs.alerts_caller`` so the
triggers leave them to the journal). ``pg_notify('rrs_wakeup')``, delivered
on commit, lets the ingest's relay wake Odoo's cron and bus.

Caveats: the add-on creates the same objects from ``models/rrs_alert.sql``;
``tests/test_alerts.py`` requires that file to equal ``FUNCTIONS_DDL``. Edges,
not states: an alert a person closed while the stock is still under its min
stays closed until the stock recovers and crosses again; a crossing made by
two transactions changing different quants of one product and place at the
same instant (each sees its own change only) may be missed until the next.
The fast path's alerts come with the journal, up to ``journal_interval_ms``
plus one journal run after the read.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest_core.odoo import sql

#: The add-on's job (``ir.cron`` XML id) woken by new alerts and requests.
CRON_XMLID = ("retail_realtime_stock", "ir_cron_rrs_alert_actions")
#: System parameter (Settings > Technical > System Parameters): ``off`` stops all alerts.
PARAMETER = "retail_realtime_stock.alerts"

ALERT_INDEXES = (
    "CREATE UNIQUE INDEX rrs_alert_open_uniq ON rrs_alert (kind, coalesce(product_id, 0), "
    "coalesce(location_id, 0), coalesce(device_id, 0)) WHERE state = 'open'",
    "CREATE INDEX rrs_alert_open_product_idx ON rrs_alert (product_id, location_id) "
    "WHERE state = 'open'",
)
REQUEST_INDEXES = (
    "CREATE UNIQUE INDEX rrs_replenish_request_pending_uniq ON rrs_replenish_request "
    "(orderpoint_id) WHERE state = 'pending'",
)

FUNCTIONS_DDL = """
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

-- Raise and clear the quant kinds' alerts of the changed (product, location)
-- pairs where the change crossed a line (the condition before it, on hand less
-- the change, differs from the one after), with the stock after it; request
-- replenishment for new below_min alerts of automatic orderpoints; queue the
-- bus messages and the wake-up. Called by the journal for the fast path's
-- changes (in its transaction, with rrs.first_event_id / rrs.last_event_id
-- naming the reads) and by the stock_quant triggers for everyone else's.
-- Returns the alerts it opened or closed.
DROP FUNCTION IF EXISTS rrs_alert_quants(integer[], integer[], numeric[]);  -- returned void
CREATE FUNCTION rrs_alert_quants(p_products integer[], p_locations integer[],
                                 p_deltas numeric[])
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp := now() AT TIME ZONE 'UTC';
    v_first_event integer := nullif(current_setting('rrs.first_event_id', true), '')::integer;
    v_last_event integer := nullif(current_setting('rrs.last_event_id', true), '')::integer;
    v_changed integer[];
BEGIN
    IF EXISTS (SELECT 1 FROM ir_config_parameter
                WHERE key = 'retail_realtime_stock.alerts' AND value = 'off') THEN
        RETURN NULL;  -- switched off by an administrator (or the benchmark's reference phase)
    END IF;
    WITH changed AS (
        SELECT t.p AS product_id, t.l AS location_id, sum(t.d) AS delta,
               min(ql.parent_path) AS path, min(ql.warehouse_id) AS warehouse_id,
               min(ql.company_id) AS company_id
          FROM unnest(p_products, p_locations, p_deltas) AS t(p, l, d)
          JOIN stock_location ql ON ql.id = t.l AND ql.usage = 'internal'
         GROUP BY t.p, t.l
        HAVING sum(t.d) <> 0),
    -- each changed product's active rules: one probe a product (Odoo's unique index
    -- leads with it); OFFSET 0 keeps the planner from joining by location instead
    -- (~600 rules a store: measured 20 ms a statement)
    rules AS (
        SELECT o.id, o.product_id, o.location_id, o.product_min_qty, o.product_max_qty,
               o.warehouse_id, o.company_id
          FROM (SELECT DISTINCT product_id FROM changed) p
          CROSS JOIN LATERAL (SELECT * FROM stock_warehouse_orderpoint o
                               WHERE o.product_id = p.product_id
                                 AND coalesce(o.active, true) OFFSET 0) o),
    -- the scopes: each rule whose location holds a changed quant, each store, and
    -- each changed location
    scope AS (
        SELECT r.product_id, r.location_id AS scope_id, r.id AS orderpoint_id,
               r.product_min_qty, r.product_max_qty, r.warehouse_id, r.company_id,
               'rule' AS level, sum(c.delta) AS delta
          FROM rules r
          JOIN stock_location ol ON ol.id = r.location_id
          JOIN changed c ON c.product_id = r.product_id AND c.path LIKE ol.parent_path || '%'
         GROUP BY r.product_id, r.location_id, r.id, r.product_min_qty, r.product_max_qty,
                  r.warehouse_id, r.company_id
        UNION ALL
        SELECT c.product_id, w.lot_stock_id, NULL, NULL, NULL, w.id, w.company_id, 'store',
               sum(c.delta)
          FROM changed c
          JOIN stock_warehouse w ON w.id = c.warehouse_id
          JOIN stock_location sl ON sl.id = w.lot_stock_id
         WHERE c.path LIKE sl.parent_path || '%'
         GROUP BY c.product_id, w.id, w.lot_stock_id, w.company_id
        UNION ALL
        SELECT c.product_id, c.location_id, NULL, NULL, NULL, c.warehouse_id, c.company_id,
               'location', c.delta
          FROM changed c),
    -- the internal locations under each scope location (a handful a statement)
    scope_locations AS (
        SELECT x.scope_id, x.level, c.id AS location_id
          FROM (SELECT DISTINCT scope_id, level FROM scope) x
          JOIN stock_location sl ON sl.id = x.scope_id
          JOIN stock_location c ON c.usage = 'internal' AND CASE x.level
                   WHEN 'location' THEN c.id = sl.id
                   ELSE c.parent_path LIKE sl.parent_path || '%' END),
    -- the quants of each changed product in the locations its scopes cover: one probe
    -- of rrs_stock_quant_key_idx a (product, location). Not every quant of the product:
    -- on a chain that is one per store (500 stores: a journal run read ~10 M quants)
    product_quants AS (
        SELECT p.product_id, p.location_id, q.quantity
          FROM (SELECT DISTINCT s.product_id, sl.location_id
                  FROM scope s
                  JOIN scope_locations sl ON sl.scope_id = s.scope_id
                                         AND sl.level = s.level) p
          CROSS JOIN LATERAL (SELECT q.quantity FROM stock_quant q
                               WHERE q.product_id = p.product_id
                                 AND q.location_id = p.location_id OFFSET 0) q),
    -- each changed store's rules that evaluating needs, looked up once a store:
    -- forecast_stockout's lead days (its threshold, 3) and out_of_stock's look-back
    -- (30 days). MATERIALIZED: inlined, the planner called rrs_alert_rule_for once
    -- per store and changed pair (46 of a 90 ms statement for 1 400 pairs)
    store_rules AS MATERIALIZED (
        SELECT w.id AS warehouse_id,
               rrs_alert_rule_for('forecast_stockout', w.id, NULL, 3) AS lead,
               (rrs_alert_rule_for('out_of_stock', w.id, NULL, 30)).threshold::integer
                   AS oos_days
          FROM stock_warehouse w
         WHERE w.id IN (SELECT DISTINCT warehouse_id FROM changed)),
    leads AS (
        SELECT r.warehouse_id, (r.lead).threshold::integer AS days
          FROM store_rules r WHERE (r.lead).enabled),
    scope_onhand AS (
        SELECT s.*, coalesce(h.qty, 0) AS qty
          FROM scope s
          LEFT JOIN (SELECT sl.scope_id, sl.level, pq.product_id, sum(pq.quantity) AS qty
                       FROM product_quants pq
                       JOIN scope_locations sl ON sl.location_id = pq.location_id
                      GROUP BY sl.scope_id, sl.level, pq.product_id) h
            ON h.scope_id = s.scope_id AND h.level = s.level AND h.product_id = s.product_id),
    evaluated AS (
        SELECT 'below_min'::varchar AS kind, s.product_id, s.scope_id AS location_id,
               s.warehouse_id, s.company_id, s.orderpoint_id, s.qty,
               s.product_min_qty AS threshold, s.qty < s.product_min_qty AS now,
               s.qty - s.delta < s.product_min_qty AS was
          FROM scope_onhand s WHERE s.level = 'rule'
        UNION ALL
        SELECT 'over_max', s.product_id, s.scope_id, s.warehouse_id, s.company_id,
               s.orderpoint_id, s.qty, s.product_max_qty,
               s.product_max_qty > 0 AND s.qty > s.product_max_qty,
               s.product_max_qty > 0 AND s.qty - s.delta > s.product_max_qty
          FROM scope_onhand s WHERE s.level = 'rule'
        UNION ALL
        SELECT 'out_of_stock', s.product_id, s.scope_id, s.warehouse_id, s.company_id,
               NULL, s.qty, 0,
               s.qty <= 0 AND (s.delta < 0 OR EXISTS (
                   SELECT 1 FROM rrs_stock_daily d
                    WHERE d.product_id = s.product_id AND d.warehouse_id = s.warehouse_id
                      AND d.qty_sold > 0 AND d.day >= v_now::date - r.oos_days)),
               s.qty - s.delta <= 0
          FROM scope_onhand s
          JOIN store_rules r ON r.warehouse_id = s.warehouse_id
         WHERE s.level = 'store'
        UNION ALL
        SELECT 'negative_stock', s.product_id, s.scope_id, s.warehouse_id, s.company_id,
               NULL, s.qty, 0, s.qty < 0, s.qty - s.delta < 0
          FROM scope_onhand s WHERE s.level = 'location'
        UNION ALL  -- on hand under the forecast demand of the store's lead days
        SELECT 'forecast_stockout', s.product_id, s.scope_id, s.warehouse_id, s.company_id,
               NULL, s.qty, d.demand, s.qty < d.demand, s.qty - s.delta < d.demand
          FROM scope_onhand s
          JOIN leads l ON l.warehouse_id = s.warehouse_id
          CROSS JOIN LATERAL (SELECT sum(f.mean) AS demand FROM rrs_forecast f
                               WHERE f.product_id = s.product_id
                                 AND f.warehouse_id = s.warehouse_id
                                 AND f.date >= v_now::date
                                 AND f.date < v_now::date + l.days) d
         WHERE s.level = 'store' AND d.demand > 0),
    -- the crossings; a rule is looked up only where its kind has rules (~80 us a call)
    decided AS MATERIALIZED (
        SELECT e.*, e.now AND CASE
                   WHEN e.now AND EXISTS (SELECT 1 FROM rrs_alert_rule r
                                           WHERE r.kind = e.kind) THEN
                       (rrs_alert_rule_for(e.kind, e.warehouse_id,
                                           (SELECT pt.categ_id FROM product_product pp
                                              JOIN product_template pt
                                                ON pt.id = pp.product_tmpl_id
                                             WHERE pp.id = e.product_id), NULL)).enabled
                   ELSE true END AS wanted
          FROM evaluated e
         WHERE e.now IS DISTINCT FROM e.was),
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
    clearing AS (  -- from the few cleared pairs to their alert, never the other way
        SELECT d.qty, (SELECT o.id FROM rrs_alert o
                        WHERE o.state = 'open' AND o.kind = d.kind
                          AND o.product_id = d.product_id
                          AND o.location_id = d.location_id) AS alert_id
          FROM decided d WHERE NOT d.now),
    closed AS (
        UPDATE rrs_alert a
           SET state = 'closed', closed_at = v_now, close_reason = 'cleared',
               quantity = c.qty, updated_at = v_now, write_date = v_now
          FROM clearing c
         WHERE a.id = c.alert_id
        RETURNING a.id)
    SELECT array_agg(id) INTO v_changed
      FROM (SELECT id FROM upserted WHERE inserted UNION ALL SELECT id FROM closed) AS c;

    IF v_changed IS NULL THEN
        RETURN NULL;
    END IF;

    IF v_first_event IS NOT NULL THEN  -- the read that raised it (the fast path's: the
        -- last read of the product in the store among the journal's events); one pass
        -- over the journal's events for all the alerts (a pass per alert cost 6 % of a
        -- core at 24 000 reads/s)
        WITH opened AS MATERIALIZED (
            SELECT a.id, a.product_id, a.warehouse_id
              FROM unnest(v_changed) AS c(id)  -- by primary key, whatever the statistics say
              CROSS JOIN LATERAL (SELECT * FROM rrs_alert x WHERE x.id = c.id OFFSET 0) a
             WHERE a.state = 'open'),
        last_read AS (
            SELECT ev.product_id, ev.warehouse_id, max(ev.id) AS event_id
              FROM rrs_event ev
             WHERE ev.id BETWEEN v_first_event AND coalesce(v_last_event, 2147483647)
               AND ev.product_id IN (SELECT product_id FROM opened)
             GROUP BY ev.product_id, ev.warehouse_id)
        UPDATE rrs_alert a SET event_id = l.event_id
          FROM opened o
          LEFT JOIN last_read l ON l.product_id = o.product_id
                               AND l.warehouse_id = o.warehouse_id
         WHERE a.id = o.id;
    END IF;

    INSERT INTO rrs_replenish_request (orderpoint_id, alert_id, event_id, product_id,
                                       warehouse_id, company_id, quantity, requested_at,
                                       state, create_uid, create_date, write_uid, write_date)
    SELECT a.orderpoint_id, a.id, a.event_id, a.product_id, a.warehouse_id, a.company_id,
           a.quantity, v_now, 'pending', 1, v_now, 1, v_now
      FROM unnest(v_changed) AS c(id)
     CROSS JOIN LATERAL (SELECT * FROM rrs_alert x WHERE x.id = c.id OFFSET 0) a
      JOIN stock_warehouse_orderpoint op ON op.id = a.orderpoint_id
     WHERE a.state = 'open' AND a.kind = 'below_min'
       AND op.trigger = 'auto' AND (op.snoozed_until IS NULL OR op.snoozed_until <= v_now::date)
    ON CONFLICT (orderpoint_id) WHERE state = 'pending' DO NOTHING;

    PERFORM rrs_alert_wake_job();
    IF current_setting('rrs.alerts_caller', true) IS DISTINCT FROM 'journal' THEN
        PERFORM rrs_alert_announce(v_changed);  -- the journal's: after its commit
    END IF;
    RETURN v_changed;
END
$$;

-- Wake the add-on's job (notifications and activities for new alerts, the
-- requests) once this transaction commits: an ir_cron_trigger row, as
-- ir.cron._trigger writes it, and the relay's wake-up for Odoo's cron thread.
-- One row a transaction: Odoo deletes the triggers older than a run's start
-- when the run ends, so one that came during a run must be a row of its own.
CREATE OR REPLACE FUNCTION rrs_alert_wake_job()
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp := now() AT TIME ZONE 'UTC';
    v_cron integer;
BEGIN
    SELECT res_id INTO v_cron FROM ir_model_data
     WHERE module = 'retail_realtime_stock' AND name = 'ir_cron_rrs_alert_actions';
    IF v_cron IS NOT NULL THEN
        INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date, write_uid,
                                     write_date)
        VALUES (v_cron, v_now, 1, v_now, 1, v_now);
        PERFORM pg_notify('rrs_wakeup', json_build_object(
            'db', current_database(), 'channels', '{}'::text[], 'cron', true)::text);
    END IF;
END
$$;

-- Units that left a store through an RFID exit reader without a sale (the
-- journal's reads of movement shrink, rfid_exit_movement = shrink): one open
-- shrink alert per product and store location, opened by the first unit and
-- counting the units until a person closes it. Returns the alerts opened.
CREATE OR REPLACE FUNCTION rrs_alert_shrink(p_products integer[], p_locations integer[],
                                            p_units numeric[], p_events integer[])
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp := now() AT TIME ZONE 'UTC';
    v_opened integer[];
BEGIN
    IF EXISTS (SELECT 1 FROM ir_config_parameter
                WHERE key = 'retail_realtime_stock.alerts' AND value = 'off') THEN
        RETURN NULL;
    END IF;
    WITH lost AS (
        SELECT t.p AS product_id, t.l AS location_id, t.u AS units, t.e AS event_id,
               l.warehouse_id, l.company_id
          FROM unnest(p_products, p_locations, p_units, p_events) AS t(p, l, u, e)
          JOIN stock_location l ON l.id = t.l AND l.warehouse_id IS NOT NULL
          JOIN product_product pp ON pp.id = t.p
          JOIN product_template pt ON pt.id = pp.product_tmpl_id
         WHERE (rrs_alert_rule_for('shrink', l.warehouse_id, pt.categ_id, 0)).enabled),
    upserted AS (
        INSERT INTO rrs_alert AS a (kind, state, product_id, location_id, warehouse_id,
                                    company_id, quantity, event_id, opened_at, updated_at,
                                    update_count, dispatched, create_uid, create_date,
                                    write_uid, write_date)
        SELECT 'shrink', 'open', product_id, location_id, warehouse_id, company_id, units,
               event_id, v_now, v_now, 0, false, 1, v_now, 1, v_now
          FROM lost
        ON CONFLICT (kind, coalesce(product_id, 0), coalesce(location_id, 0),
                     coalesce(device_id, 0)) WHERE state = 'open'
        DO UPDATE SET quantity = a.quantity + EXCLUDED.quantity,
                      event_id = EXCLUDED.event_id, updated_at = EXCLUDED.updated_at,
                      update_count = a.update_count + 1, write_date = EXCLUDED.write_date
        RETURNING a.id, a.xmax = 0 AS inserted)
    SELECT array_agg(id) INTO v_opened FROM upserted WHERE inserted;
    IF v_opened IS NOT NULL THEN
        PERFORM rrs_alert_wake_job();
    END IF;
    RETURN v_opened;
END
$$;

-- The bus message of each alert in p_alerts (its store's live channel) and the
-- relay's wake-up for Odoo's bus. Called in the alerts' own transaction for
-- Odoo's writes; by the journal in a transaction of its own, right after the
-- one that raised them: a web client reads the bus by increasing id, and a row
-- committed seconds after a later one would be skipped.
CREATE OR REPLACE FUNCTION rrs_alert_announce(p_alerts integer[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp := now() AT TIME ZONE 'UTC';
    v_channels text[];
BEGIN
    WITH message AS (
        INSERT INTO bus_bus (channel, message, create_uid, create_date, write_uid, write_date)
        SELECT '[' || to_json(current_database())::text || ',"rrs_stock_' || a.warehouse_id
               || '"]',
               json_build_object('type', 'rrs_alert', 'payload', json_build_object(
                   'id', a.id, 'kind', a.kind, 'state', a.state, 'product_id', a.product_id,
                   'location_id', a.location_id, 'warehouse_id', a.warehouse_id,
                   'quantity', a.quantity, 'threshold', a.threshold))::text,
               1, v_now, 1, v_now
          FROM unnest(p_alerts) AS c(id)
         CROSS JOIN LATERAL (SELECT * FROM rrs_alert x WHERE x.id = c.id OFFSET 0) a
         WHERE a.warehouse_id IS NOT NULL
        RETURNING channel)
    SELECT array_agg(DISTINCT channel) INTO v_channels FROM message;
    IF v_channels IS NOT NULL THEN
        PERFORM pg_notify('rrs_wakeup', json_build_object(
            'db', current_database(), 'channels', v_channels, 'cron', false)::text);
    END IF;
END
$$;

-- The kinds that come with time, not with a change (the add-on's job runs it
-- every minute): device_silent (an active device that has read before, with no
-- read for the rule's threshold minutes, default 30, or more quarantined reads
-- in that window than the rule's threshold_value), stale_count (an internal
-- location of a store not counted for the rule's threshold days, default 30:
-- Odoo's last_inventory_date, else the location's creation) and
-- count_discrepancy (a product counted at a location, Odoo's count not applied
-- yet, off by more than the rule's threshold units). State: an alert is open
-- while its condition holds, closed as cleared when it no longer does; one a
-- person closed is not opened again until the condition starts anew (a read,
-- a count, a new counted quantity, a new forecast after the close). With
-- p_forecast (the forecast run, once its forecasts are written) also
-- forecast_stockout: on hand in a store under the forecast demand of its lead
-- days (the rule's threshold, 3); between runs the stock changes keep it.
-- Returns the alerts it opened or closed.
DROP FUNCTION IF EXISTS rrs_alert_sweep();  -- now with p_forecast
CREATE OR REPLACE FUNCTION rrs_alert_sweep(p_forecast boolean DEFAULT false)
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp := now() AT TIME ZONE 'UTC';
    v_changed integer[];
BEGIN
    IF EXISTS (SELECT 1 FROM ir_config_parameter
                WHERE key = 'retail_realtime_stock.alerts' AND value = 'off') THEN
        RETURN NULL;
    END IF;
    WITH devices AS (
        SELECT d.id, d.warehouse_id, d.company_id, d.location_id, d.last_seen,
               rrs_alert_rule_for('device_silent', d.warehouse_id, NULL, 30) AS rule
          FROM rrs_device d
         WHERE coalesce(d.active, true) AND d.last_seen IS NOT NULL),
    locations AS (
        SELECT l.id, l.warehouse_id, l.company_id,
               coalesce(l.last_inventory_date, l.create_date::date) AS counted,
               rrs_alert_rule_for('stale_count', l.warehouse_id, NULL, 30) AS rule
          FROM stock_location l
         WHERE l.usage = 'internal' AND l.warehouse_id IS NOT NULL
           AND coalesce(l.active, true)),
    counted AS (  -- Odoo's counts not applied yet, per product and location
        SELECT q.product_id, q.location_id, l.warehouse_id, l.company_id,
               sum(q.inventory_diff_quantity) AS diff, max(q.write_date) AS since,
               rrs_alert_rule_for('count_discrepancy', l.warehouse_id, min(pt.categ_id), 1)
                   AS rule
          FROM stock_quant q
          JOIN stock_location l ON l.id = q.location_id AND l.usage = 'internal'
                               AND l.warehouse_id IS NOT NULL
          JOIN product_product pp ON pp.id = q.product_id
          JOIN product_template pt ON pt.id = pp.product_tmpl_id
         WHERE q.inventory_quantity_set
         GROUP BY q.product_id, q.location_id, l.warehouse_id, l.company_id),
    evaluated AS (  -- only the keys whose condition holds now, with when it began
        SELECT 'device_silent'::varchar AS kind, NULL::integer AS product_id,
               d.location_id, d.warehouse_id, d.company_id, d.id AS device_id,
               round(extract(epoch FROM v_now - d.last_seen)::numeric / 60, 1) AS qty,
               (d.rule).threshold AS threshold, d.last_seen AS since
          FROM devices d
         WHERE (d.rule).enabled AND (
                   d.last_seen < v_now - make_interval(mins => (d.rule).threshold::integer)
                   OR (d.rule).threshold_value IS NOT NULL AND (
                       SELECT count(*) FROM rrs_quarantine q
                        WHERE q.device_id = d.id AND q.received_at >= v_now
                              - make_interval(mins => (d.rule).threshold::integer))
                       > (d.rule).threshold_value)
        UNION ALL
        SELECT 'stale_count', NULL, l.id, l.warehouse_id, l.company_id, NULL,
               (v_now::date - l.counted)::numeric, (l.rule).threshold, l.counted::timestamp
          FROM locations l
         WHERE (l.rule).enabled AND l.counted < v_now::date - (l.rule).threshold::integer
        UNION ALL
        SELECT 'count_discrepancy', c.product_id, c.location_id, c.warehouse_id,
               c.company_id, NULL, c.diff, (c.rule).threshold, c.since
          FROM counted c
         WHERE (c.rule).enabled AND abs(c.diff) > (c.rule).threshold
        UNION ALL
        SELECT 'forecast_stockout', d.product_id, w.lot_stock_id, d.warehouse_id,
               w.company_id, NULL, coalesce(oh.qty, 0), d.demand, d.since
          FROM (SELECT f.product_id, f.warehouse_id, sum(f.mean) AS demand,
                       max(f.made_at) AS since
                  FROM rrs_forecast f
                  JOIN (SELECT x.id, rrs_alert_rule_for('forecast_stockout', x.id, NULL, 3)
                                   AS rule
                          FROM stock_warehouse x) l ON l.id = f.warehouse_id
                 WHERE p_forecast AND (l.rule).enabled AND f.date >= v_now::date
                   AND f.date < v_now::date + (l.rule).threshold::integer
                 GROUP BY f.product_id, f.warehouse_id
                HAVING sum(f.mean) > 0) d
          JOIN stock_warehouse w ON w.id = d.warehouse_id
          JOIN stock_location sl ON sl.id = w.lot_stock_id
          LEFT JOIN LATERAL (SELECT sum(q.quantity) AS qty FROM stock_quant q
                               JOIN stock_location c ON c.id = q.location_id
                              WHERE q.product_id = d.product_id AND c.usage = 'internal'
                                AND c.parent_path LIKE sl.parent_path || '%') oh ON true
         WHERE coalesce(oh.qty, 0) < d.demand),
    opened AS (
        INSERT INTO rrs_alert AS a (kind, state, product_id, location_id, warehouse_id,
                                    company_id, device_id, quantity, threshold, opened_at,
                                    updated_at, update_count, dispatched, create_uid,
                                    create_date, write_uid, write_date)
        SELECT e.kind, 'open', e.product_id, e.location_id, e.warehouse_id, e.company_id,
               e.device_id, e.qty, e.threshold, v_now, v_now, 0, false, 1, v_now, 1, v_now
          FROM evaluated e
         WHERE NOT EXISTS (  -- a person closed it since the condition began
                   SELECT 1 FROM rrs_alert u
                    WHERE u.kind = e.kind AND u.close_reason = 'user'
                      AND u.closed_at >= e.since
                      AND coalesce(u.product_id, 0) = coalesce(e.product_id, 0)
                      AND coalesce(u.location_id, 0) = coalesce(e.location_id, 0)
                      AND coalesce(u.device_id, 0) = coalesce(e.device_id, 0))
        ON CONFLICT (kind, coalesce(product_id, 0), coalesce(location_id, 0),
                     coalesce(device_id, 0)) WHERE state = 'open' DO NOTHING
        RETURNING a.id),
    closed AS (
        UPDATE rrs_alert a
           SET state = 'closed', closed_at = v_now, close_reason = 'cleared',
               updated_at = v_now, write_date = v_now
         WHERE a.state = 'open'
           AND (a.kind IN ('device_silent', 'stale_count', 'count_discrepancy')
                OR p_forecast AND a.kind = 'forecast_stockout')
           AND NOT EXISTS (SELECT 1 FROM evaluated e
                            WHERE e.kind = a.kind
                              AND coalesce(e.product_id, 0) = coalesce(a.product_id, 0)
                              AND coalesce(e.location_id, 0) = coalesce(a.location_id, 0)
                              AND coalesce(e.device_id, 0) = coalesce(a.device_id, 0))
        RETURNING a.id)
    SELECT array_agg(id) INTO v_changed
      FROM (SELECT id FROM opened UNION ALL SELECT id FROM closed) AS c;
    IF v_changed IS NOT NULL THEN
        PERFORM rrs_alert_announce(v_changed);
    END IF;
    RETURN v_changed;
END
$$;

-- The triggers' side: the quants whose quantity changed, with the change; not the
-- ingest's (rrs.alerts_caller): its journal evaluates the writer's changes, after
-- the writer's commit, in the transaction that turns the reads into done moves.
CREATE OR REPLACE FUNCTION rrs_alert_quant_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_products integer[];
    v_locations integer[];
    v_deltas numeric[];
BEGIN
    IF current_setting('rrs.alerts_caller', true) IN ('writer', 'journal') THEN
        RETURN NULL;  -- the journal evaluates the fast path's quants itself
    END IF;
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
"""

DROP_DDL = """
DROP TRIGGER IF EXISTS rrs_alert_quant_insert ON stock_quant;
DROP TRIGGER IF EXISTS rrs_alert_quant_update ON stock_quant;
DROP TRIGGER IF EXISTS rrs_alert_quant_delete ON stock_quant;
DROP FUNCTION IF EXISTS rrs_alert_quant_changed();
DROP FUNCTION IF EXISTS rrs_alert_quants(integer[], integer[], numeric[]);
DROP FUNCTION IF EXISTS rrs_alert_announce(integer[]);
DROP FUNCTION IF EXISTS rrs_alert_wake_job();
DROP FUNCTION IF EXISTS rrs_alert_shrink(integer[], integer[], numeric[], integer[]);
DROP FUNCTION IF EXISTS rrs_alert_sweep();
DROP FUNCTION IF EXISTS rrs_alert_sweep(boolean);
DROP FUNCTION IF EXISTS rrs_alert_rule_for(varchar, integer, integer, numeric);
"""

_TRIGGERS = ("rrs_alert_quant_insert", "rrs_alert_quant_update", "rrs_alert_quant_delete")


def available(cur) -> bool:
    """Whether this database has the alert functions (``rtstock db init`` or add-on
    18.0.1.5.0): the journal raises alerts only where it does."""
    cur.execute("SELECT to_regprocedure('rrs_alert_shrink(integer[], integer[], numeric[], "
                "integer[])') IS NOT NULL")
    return cur.fetchone()[0]


def claim(cur) -> None:
    """Tell the stock_quant triggers that this transaction's quant changes are the
    journal's: it evaluates them itself (``evaluate``), after its virtual quants. Set
    before those are written, or each journal run evaluated them once more through the
    triggers (for nothing: virtual locations have no alerts)."""
    cur.execute("SELECT set_config('rrs.alerts_caller', 'journal', true)")


def evaluate(cur, deltas: dict[tuple[int, int], float], first_event: int,
             last_event: int) -> list[int]:
    """Raise and clear the alerts of the fast path's stock changes ``deltas``
    ({(product, location): change}) in the caller's transaction (the journal's);
    ``first_event``..``last_event`` are the reads the changes came from. Returns the
    alerts opened or closed, for ``announce`` once that transaction has committed."""
    keys = [key for key, delta in deltas.items() if delta]
    if not keys:
        return []
    cur.execute("""
        SELECT set_config('rrs.alerts_caller', 'journal', true),
               set_config('rrs.first_event_id', %s, true),
               set_config('rrs.last_event_id', %s, true),
               rrs_alert_quants(%s::integer[], %s::integer[], %s::numeric[])""",
                (str(first_event), str(last_event), sql.pg_array(p for p, _l in keys),
                 sql.pg_array(location for _p, location in keys),
                 sql.pg_array(deltas[key] for key in keys)))
    return cur.fetchone()[3] or []


def announce(cur, alert_ids: Sequence[int]) -> None:
    """Put the alerts' bus messages on their stores' channels and wake the relay; in a
    transaction of their own, committed at once (``rrs_alert_announce``)."""
    if alert_ids:
        cur.execute("SELECT rrs_alert_announce(%s::integer[])", (list(alert_ids),))


def set_enabled(cur, enabled: bool) -> None:
    """Switch stock alerts on or off for the whole database: the system parameter
    ``PARAMETER`` (``off`` stops ``rrs_alert_quants`` at its first line, for the journal
    and the triggers) and the quant triggers themselves (``rtstock bench alerts``
    measures both states)."""
    sql.set_parameter(cur, PARAMETER, "on" if enabled else "off")
    action = "ENABLE ALWAYS" if enabled else "DISABLE"
    for name in _TRIGGERS:
        cur.execute(f"ALTER TABLE stock_quant {action} TRIGGER {name}")


def add_orderpoints(cur, warehouse: int, location: int, barcodes: Sequence[str],
                    share: float, margin: float = 0.0) -> dict[str, int]:
    """Automatic reorder rules on ``barcodes`` at ``location``, min = ``share`` of the
    on-hand there less ``margin`` (benchmarks: rules a buyer set a while ago, some of which
    the day's sales cross); {barcode: orderpoint id}."""
    cur.execute("""
        INSERT INTO stock_warehouse_orderpoint (name, warehouse_id, location_id, product_id,
               company_id, trigger, product_min_qty, product_max_qty, qty_multiple, active,
               create_uid, create_date, write_uid, write_date)
        SELECT 'RRS-BENCH-' || p.id, w.id, %(location)s, p.id, w.company_id, 'auto',
               greatest(floor(coalesce(q.quantity, 0) * %(share)s) - %(margin)s, 0), 0, 1,
               true, 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
          FROM product_product p
          JOIN stock_warehouse w ON w.id = %(warehouse)s
          LEFT JOIN LATERAL (SELECT sum(quantity) AS quantity FROM stock_quant
                              WHERE product_id = p.id AND location_id = %(location)s) q ON true
         WHERE p.barcode = ANY(%(barcodes)s)
        RETURNING (SELECT barcode FROM product_product WHERE id = product_id), id""",
                {"warehouse": warehouse, "location": location, "barcodes": list(barcodes),
                 "share": share, "margin": margin})
    return dict(cur.fetchall())


def alerts_of(cur, orderpoints: Sequence[int]) -> list[tuple]:
    """(orderpoint, kind, state, event) of the alerts and (orderpoint, 'request', state,
    event) of the requests on ``orderpoints``: what one crossing per orderpoint left."""
    cur.execute("""
        SELECT orderpoint_id, kind, state, event_id FROM rrs_alert
         WHERE orderpoint_id = ANY(%(ops)s)
        UNION ALL
        SELECT orderpoint_id, 'request', state, event_id FROM rrs_replenish_request
         WHERE orderpoint_id = ANY(%(ops)s)""", {"ops": list(orderpoints)})
    return cur.fetchall()


def product_ids(cur, barcodes: Sequence[str]) -> dict[str, int]:
    """{barcode: product id} of ``barcodes``."""
    cur.execute("SELECT barcode, id FROM product_product WHERE barcode = ANY(%s)",
                (list(barcodes),))
    return dict(cur.fetchall())


def products_alerted(cur, products: Sequence[int], kind: str) -> list[int]:
    """Which of ``products`` have an alert of ``kind`` (open or not)."""
    cur.execute("SELECT DISTINCT product_id FROM rrs_alert WHERE kind = %s "
                "AND product_id = ANY(%s)", (kind, list(products)))
    return [product for (product,) in cur.fetchall()]


def rfq_lines(cur, orderpoints: Sequence[int]) -> dict[int, list[float]]:
    """{orderpoint: quantities of the purchase order lines Odoo's procurement made for
    it} (``purchase_stock``'s ``orderpoint_id``); empty where Purchase is absent."""
    cur.execute("SELECT to_regclass('purchase_order_line') IS NOT NULL")
    if not cur.fetchone()[0]:
        return {}
    cur.execute("SELECT orderpoint_id, product_qty FROM purchase_order_line "
                "WHERE orderpoint_id = ANY(%s) ORDER BY id", (list(orderpoints),))
    lines: dict[int, list[float]] = {}
    for orderpoint, quantity in cur.fetchall():
        lines.setdefault(orderpoint, []).append(float(quantity))
    return lines


def request_states(cur, orderpoints: Sequence[int]) -> dict[int, str]:
    """{request id: state} of the replenishment requests of ``orderpoints``."""
    cur.execute("SELECT id, state FROM rrs_replenish_request WHERE orderpoint_id = ANY(%s)",
                (list(orderpoints),))
    return dict(cur.fetchall())


def sweep(cur, forecast: bool = False) -> list[int]:
    """Raise and clear the kinds that come with time (silent devices, stale counts,
    count discrepancies), and with
    ``forecast`` the forecast stock-outs (after a forecast run); the alerts opened or
    closed."""
    cur.execute("SELECT rrs_alert_sweep(%s)", (forecast,))
    return cur.fetchone()[0] or []


def shrink(cur, lost: Sequence[tuple[int, int, float, int]]) -> list[int]:
    """Count units that left a store without a sale ((product, store location, units,
    last read)) on the stores' shrink alerts, in the caller's transaction (the
    journal's); the alerts opened."""
    if not lost:
        return []
    products, locations, units, events = (list(column) for column in zip(*lost, strict=True))
    cur.execute("SELECT rrs_alert_shrink(%s::integer[], %s::integer[], %s::numeric[], "
                "%s::integer[])", (products, locations, units, events))
    return cur.fetchone()[0] or []
