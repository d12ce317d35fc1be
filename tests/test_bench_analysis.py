"""``rtstock bench analysis`` at a tiny size: its JSON, and equal answers both ways.

The benchmark asserts itself that every figure from the rollups equals the
same figure from ``stock_move``; here, additionally, that the generator's
set-based rollups are the rows ``rtstock rollup rebuild`` makes of its moves.
No timing is asserted.
"""

from __future__ import annotations

import json

import psycopg2

from ingest_core.bench import analysis
from ingest_core.cli import main as cli_main
from ingest_core.odoo import analysis_bench, chain_history, rollup


def test_bench_analysis_tiny(real_addon_db, capsys):
    """The command prints every figure with equal answers, sizes and the journal's cost."""
    code = cli_main(["bench", "analysis", "--dsn", real_addon_db, "--stores", "2",
                     "--skus", "50", "--days", "60", "--events", "1500", "--repeat", "2",
                     "--repeat-moves", "1",
                     "--journal-rounds", "1", "--journal-events", "1600", "--json"])
    assert code == 0, "the bench failed"
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"history", "storage", "figures", "journal", "goals", "met",
                           "machine_cores"}, sorted(result)
    assert set(result["figures"]) == {figure.name for figure in analysis_bench.FIGURES}
    for name, figure in result["figures"].items():
        assert figure["answers_equal"] is True, name
        assert figure["rows"] > 0, f"{name}: an empty answer compares nothing"
        assert set(figure["rollups"]) == {"runs", "p50_ms", "p95_ms"}, name
        assert figure["rollups"]["runs"] == 2 and figure["stock_move"]["runs"] == 1, name
    history = result["history"]
    assert history["stores"] == 2 and history["products"] == 50, history
    assert history["sale_events"] > 1000 and history["sale_moves"] > 500, history
    assert result["storage"]["rollup_bytes_per_year"] > 0
    journal = result["journal"]
    assert journal["with_rollups"]["events_per_s"] > 0, journal
    assert journal["without_rollups"]["events_per_s"] > 0, journal
    assert "cost_pct" in journal


def test_generated_rollups_equal_a_rebuild(real_addon_db):
    """The set-based rollups of the generated history equal a rebuild from its moves, also
    after the journal's moves written with the triggers off were rolled up afterwards."""
    made = analysis.open_history(analysis.AnalysisBenchOptions(
        stores=2, skus=20, days=15, dsn=real_addon_db), lambda _message: None)[2]
    assert made["last_day_moves"] > 0, "the last day did not go through the triggers"
    analysis.measure_journal(real_addon_db, made, analysis.AnalysisBenchOptions(
        journal_rounds=1, journal_events=1600), lambda _message: None)
    connection = psycopg2.connect(real_addon_db)
    try:
        with connection.cursor() as cur:
            assert rollup.installed(cur), "the triggers are not back"
            rows = (rollup.daily_rows, rollup.hourly_rows, rollup.category_rows,
                    rollup.position_rows)
            generated = [list(kind(cur)) for kind in rows]
            rollup.rebuild(cur)
            rebuilt = [list(kind(cur)) for kind in rows]
            assert chain_history.recorded(cur)["size"]["skus"] == 20
        connection.rollback()
    finally:
        connection.close()
    assert len(generated[0]) > 300
    assert generated[0] == rebuilt[0], "daily rows differ from a rebuild"
    assert generated[1] == rebuilt[1], "hourly rows differ from a rebuild"
    assert len(generated[2]) > 20 and len(generated[3]) > 30, "no coarse rows generated"
    assert generated[2] == rebuilt[2], "category rows differ from a rebuild"
    assert generated[3] == rebuilt[3], "stock positions differ from a rebuild"


def test_bench_epcis_tiny(real_addon_db, capsys):
    """``rtstock bench epcis`` exports every movement both ways, hashes as GS1's tool
    does, and answers store-day queries over HTTP (no timing asserted)."""
    code = cli_main(["bench", "epcis", "--dsn", real_addon_db, "--stores", "2", "--skus",
                     "40", "--days", "4", "--events", "400", "--repeat", "2", "--json"])
    assert code == 0, "the bench's correctness checks failed"
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"export_jsonld", "export_xml", "event_hash", "query", "checks",
                           "goals"}, sorted(result)
    assert result["export_jsonld"]["events"] >= result["done_moves"] > 100, result
    assert result["event_hash"]["equal"] is True
    assert result["query"]["queries"] == 2 and result["query"]["events_per_day_p50"] > 0
