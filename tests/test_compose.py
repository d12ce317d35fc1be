"""The docker compose file is valid Compose and keeps its services healthy and on loopback."""

from __future__ import annotations

from pathlib import Path

from ingest_core.tools.check_compose import main

COMPOSE = Path(__file__).resolve().parents[1] / "docker" / "compose.yaml"


def test_committed_compose_file_is_valid():
    """docker/compose.yaml matches the compose specification and our own rules."""
    assert main([str(COMPOSE)]) == 0


def test_broken_compose_file_is_refused(tmp_path):
    """A public port, a missing health check or an unknown dependency fails the check."""
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        "services:\n"
        "  ingest:\n"
        "    image: x\n"
        "    ports: ['8700:8700']\n"
        "    depends_on: [nothere]\n")
    assert main([str(broken)]) == 1


def test_schema_violation_is_refused(tmp_path):
    """Keys the compose specification does not know are errors."""
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  db:\n    image: postgres\n    healthcheck: {test: [CMD]}\n"
                      "    not_a_compose_key: 1\n")
    assert main([str(broken)]) == 1
