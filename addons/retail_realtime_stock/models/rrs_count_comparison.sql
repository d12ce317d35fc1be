-- Copyright 2026 Retail Realtime Stock developers
-- License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
-- An RFID count's comparison, called by Stop here and by the ingest's close: a copy of
-- ingest_core/odoo/count_comparison.py FUNCTION_DDL (tests/test_rfid_ingest.py keeps it equal).

CREATE OR REPLACE FUNCTION rrs_count_comparison(p_session integer, p_location integer)
RETURNS TABLE (product_id integer, lot_id integer, expected numeric, counted numeric)
LANGUAGE sql STABLE AS $rrs$
    WITH counted AS (
        SELECT c.product_id, c.lot_id, count(*) AS n FROM rrs_count_epc c
         WHERE c.session_id = p_session AND c.product_id IS NOT NULL GROUP BY 1, 2
    ), scope AS (
        SELECT counted.product_id FROM counted
         UNION SELECT e.product_id FROM rrs_epc e
         WHERE e.location_id = p_location AND e.state IN ('in_stock', 'received')
           AND e.product_id IS NOT NULL
    ), expected AS (
        SELECT q.product_id, q.lot_id, sum(q.quantity) AS n FROM stock_quant q
          JOIN scope ON scope.product_id = q.product_id
         WHERE q.location_id = p_location GROUP BY 1, 2
    )
    SELECT coalesce(c.product_id, e.product_id), coalesce(c.lot_id, e.lot_id),
           coalesce(e.n, 0), coalesce(c.n, 0)
      FROM counted c FULL JOIN expected e
        ON e.product_id = c.product_id AND e.lot_id IS NOT DISTINCT FROM c.lot_id
     ORDER BY 1, 2 NULLS FIRST
$rrs$;
