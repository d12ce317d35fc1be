"""``rtstock agent``: run the store agent (see :mod:`hardware.agent`)."""

from __future__ import annotations

import argparse
import logging
import sys

EXIT_CONFIG = 2
EXIT_QUEUE = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="agent TOML file (see hardware/config.py)")
    parser.add_argument("--check", action="store_true", help="validate the configuration and exit")


def run(args: argparse.Namespace) -> int:
    from hardware.agent import Agent
    from hardware.config import ConfigError, load_config
    from hardware.queue import QueueError

    if logging.getLogger().level > logging.INFO:
        # The agent's periodic status line is INFO: a store agent's log must show it.
        logging.getLogger("hardware").setLevel(logging.INFO)
    try:
        config = load_config(args.config)
    except (OSError, ConfigError) as exc:
        print(f"rtstock agent: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.check:
        print(f"{args.config}: ok ({len(config.devices)} device(s))")
        return 0
    try:
        agent = Agent(config)
    except QueueError as exc:
        print(f"rtstock agent: {exc}", file=sys.stderr)
        return EXIT_QUEUE
    return agent.run()
