"""``rtstock bench analysis``'s options and entry (light: imports the bench on use)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

#: The generated chain of ``rtstock bench analysis`` (``bench epcis`` takes a month of it).
DEFAULT_SIZE = {"stores": 20, "skus": 5000, "days": 365}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("analysis")
    group.add_argument("--stores", type=int, default=DEFAULT_SIZE["stores"],
                       help="analysis, epcis: stores of the chain")
    group.add_argument("--skus", type=int, default=DEFAULT_SIZE["skus"],
                       help="analysis, epcis: products")
    group.add_argument("--days", type=int, default=DEFAULT_SIZE["days"],
                       help="analysis: days of sales (epcis: 30 unless a size is given)")
    group.add_argument("--events", type=int, default=None,
                       help="analysis: sale events in all (default 30 M x the size's share)")
    group.add_argument("--repeat", type=int, default=20,
                       help="analysis: timed runs of each rollup query")
    group.add_argument("--repeat-moves", type=int, default=5,
                       help="analysis: timed runs of each stock_move query")
    group.add_argument("--journal-rounds", type=int, default=3,
                       help="analysis: interleaved journal rounds (0: skip)")
    group.add_argument("--journal-events", type=int, default=9600,
                       help="analysis: events a journal round drains")
    group.add_argument("--cache-dir", type=Path, default=None,
                       help="analysis: where generated histories are kept")


def run(args: argparse.Namespace) -> int:
    from ingest_core.bench import analysis

    def progress(message: str) -> None:
        if not args.json:
            print(f"... {message}", file=sys.stderr, flush=True)

    result = analysis.run(analysis.AnalysisBenchOptions(
        stores=args.stores, skus=args.skus, days=args.days, events=args.events,
        dsn=args.dsn, cache_dir=args.cache_dir, repeat=args.repeat,
        repeat_moves=args.repeat_moves, journal_rounds=args.journal_rounds,
        journal_events=args.journal_events), progress)
    print(json.dumps(result, indent=2))
    if not args.json:
        print(analysis.table(result), file=sys.stderr)
    return 0
