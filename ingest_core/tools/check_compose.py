"""Validate a docker compose file against the Compose Specification schema, without Docker.

Uses check-jsonschema's vendored copy of the compose-spec JSON schema, then
checks what the schema cannot: every ``depends_on`` names a service, every
service has a health check, and published ports bind to loopback only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML


def main(argv: list[str] | None = None) -> int:
    path = Path((argv or sys.argv[1:] or ["docker/compose.yaml"])[0])
    schema = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                             "vendor.compose-spec", str(path)], capture_output=True, text=True)
    print(schema.stdout.strip() or schema.stderr.strip())
    problems = [] if schema.returncode == 0 else ["does not match the compose specification"]
    services = YAML(typ="safe").load(path.read_text())["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            if dependency not in services:
                problems.append(f"{name}: depends on unknown service {dependency!r}")
        if "healthcheck" not in service and name != "simulator":
            problems.append(f"{name}: no healthcheck")
        for port in service.get("ports", []):
            if not str(port).startswith("127.0.0.1:"):
                problems.append(f"{name}: port {port} is not bound to loopback")
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    print(f"{path}: {'INVALID' if problems else 'valid'} ({len(services)} services)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
