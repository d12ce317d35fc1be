"""An RFID count's comparison, expected on hand vs counted tags, in one SQL function that
the ingest (``POST /v1/count-sessions/{id}/close``) and Odoo (*Stop* on the session)
both call.

Why one function: the two closes wrote the same lines by two implementations (SQL here,
the ORM's ``_read_group`` in the add-on) that could drift apart, and a store would see
different differences depending on where the count was stopped. The add-on creates the
same function from ``models/rrs_count_comparison.sql`` (``tests/test_rfid_ingest.py``
holds the file equal to ``FUNCTION_DDL``).

In scope: every product counted in the session, and every product with an EPC known to
be in stock at the location (so a product whose tags all went missing is counted as
zero). Expected comes from Odoo's quants at the location, per product and lot; counted
is the session's distinct EPCs of the product and lot.
"""

FUNCTION_DDL = """
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
"""

DROP_DDL = "DROP FUNCTION IF EXISTS rrs_count_comparison(integer, integer)"
