"""``rtstock simulate``: device simulators (see :mod:`hardware.simulators.run`)."""

from __future__ import annotations

import argparse
import json
import sys

from hardware.simulators.profiles import PROFILES

KINDS = ("serial", "http", "pos_gate", "impinj", "zebra", "speedway", "edgex", "alien", "llrp")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, help="device kind to simulate")
    parser.add_argument("--profile", choices=PROFILES, default="normal_day")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same reads")
    parser.add_argument(
        "--count", type=int, default=1000, help="reads (day profiles) or tags (cycle_count)"
    )
    parser.add_argument(
        "--speed", type=float, default=0.0, help="x real time; 0 = as fast as possible"
    )
    parser.add_argument("--device", default="SIM-1", help="device name (key prefix, hostname)")
    parser.add_argument("--url", default="http://127.0.0.1:8700",
                        help="ingest base URL (alien: tcp://host:alien_port; llrp: the "
                             "address the reader listens on, tcp://127.0.0.1:5084)")
    parser.add_argument("--token", default="", help="device Bearer token")
    parser.add_argument("--path", default="", help="override the POST path")
    parser.add_argument("--out", default="", help="write payloads as JSON lines here ('-': stdout)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--key-offset", type=int, default=0, help="first key counter")
    serial = parser.add_argument_group("serial scanner (pty pair)")
    serial.add_argument("--link", default="", help="symlink to the pty for the agent's config")
    serial.add_argument("--prefix", default="")
    serial.add_argument("--suffix", default="")
    serial.add_argument("--terminator", default="\\r", help="escapes allowed: \\r \\n \\t")
    serial.add_argument("--fnc1", default="", help="substitute sent for FNC1 (default GS)")
    serial.add_argument("--start-delay", type=float, default=1.0, dest="start_delay_s")
    serial.add_argument("--linger", type=float, default=2.0, dest="linger_s")
    rfid = parser.add_argument_group("cycle count")
    rfid.add_argument("--unknown-share", type=float, default=0.02)
    rfid.add_argument("--foreign-share", type=float, default=0.01)
    rfid.add_argument("--reads-per-tag", type=float, default=8.0)
    llrp = parser.add_argument_group("LLRP reader (llrp)")
    llrp.add_argument("--rounds", type=int, default=3,
                      help="inventory rounds over the tags (0: until interrupted)")
    llrp.add_argument("--tags-per-s", type=float, default=1000.0)
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from hardware.simulators.run import SimulationOptions, run_simulation

    terminator = args.terminator.encode("latin-1").decode("unicode_escape")
    options = SimulationOptions(
        kind=args.kind,
        profile=args.profile,
        seed=args.seed,
        count=args.count,
        speed=args.speed,
        device=args.device,
        url=args.url,
        token=args.token,
        path=args.path,
        out=args.out,
        batch_size=args.batch_size,
        key_offset=args.key_offset,
        link=args.link,
        prefix=args.prefix,
        suffix=args.suffix,
        terminator=terminator,
        fnc1=args.fnc1,
        start_delay_s=args.start_delay_s,
        linger_s=args.linger_s,
        unknown_share=args.unknown_share,
        foreign_share=args.foreign_share,
        reads_per_tag=args.reads_per_tag,
        rounds=args.rounds,
        tags_per_s=args.tags_per_s,
        show_progress=not args.no_progress and args.out != "-",
    )
    try:
        summary = run_simulation(options)
    except ValueError as exc:
        print(f"rtstock simulate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary), file=sys.stderr if args.out == "-" else sys.stdout)
    return 0
