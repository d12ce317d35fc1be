"""``rtstock rfid parse FILE``: what the ingest sees in a payload captured from a reader.

What it is: a diagnostic for integrators connecting an existing reader: save
what the reader posts (or publishes) to a file, and see each tag read as the
ingest takes it (EPC as upper-case hex, antenna, RSSI in dBm, when it was
seen, read count), the reader's other events and every error with its
reason, before a single read reaches a store's stock.

How it works: ``ingest_core.rfid.formats.parse_payload`` on the file's bytes,
the vendor detected from the field names unless ``--vendor`` names it; one
JSON line per tag read, then per event, then per error (``--json``: one JSON
document); a summary on stderr.

Caveats: exit status 1 when nothing in the file is usable (no tag read and no
reader event), with the reason; the EPC is not decoded to a product here
(``rtstock decode EPC`` does that).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from ingest_core.rfid.formats import VENDORS, not_vendor_format, parse_payload


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    parse = actions.add_parser("parse", help="show the tag reads, events and errors of a "
                                             "payload captured from a reader")
    parse.add_argument("file", help="the payload as the reader sent it ('-': standard input)")
    parse.add_argument("--vendor", choices=VENDORS,
                       help="the payload's format (default: detected from its field names)")
    parse.add_argument("--json", action="store_true",
                       help="one JSON document instead of one JSON line per item")


def _time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def run(args: argparse.Namespace) -> int:
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    parsed = parse_payload(data, args.vendor, received_at=datetime.now(UTC).timestamp())
    vendor = parsed.vendor  # parse_payload detects it when --vendor is not given
    reads = [{"epc": read.epc, "antenna": read.antenna, "rssi": read.rssi,
              "seen_at": _time(read.seen_at), "count": read.count, "reader": read.reader}
             for read in parsed.reads]
    events = [{"event": event.kind, "index": event.index, "reader": event.reader,
               "seen_at": _time(event.seen_at)} for event in parsed.events]
    errors = [{"error": error.reason, "index": error.index, "raw": error.raw}
              for error in parsed.errors]
    if args.json:
        print(json.dumps({"vendor": vendor, "reads": reads, "events": events,
                          "errors": errors}, indent=2))
    else:
        for item in (*reads, *events, *errors):
            print(json.dumps(item))
    detected = "" if args.vendor else " (detected)"
    print(f"{vendor}{detected}: {len(reads)} tag reads, {len(events)} reader events, "
          f"{len(errors)} errors", file=sys.stderr)
    problem = not_vendor_format(parsed)
    if problem or not (reads or events):
        print(f"nothing usable: {problem or 'no tag read and no reader event'}", file=sys.stderr)
        return 1
    return 0
