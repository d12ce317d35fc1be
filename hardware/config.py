"""Store agent configuration (``rtstock agent --config store.toml``).

What it is: the typed form of the agent's TOML file: the devices to read, the
ingest to forward to, the local queue and its disk bound, the status endpoint.

How it works: :func:`load_config` parses with the standard library's
``tomllib`` and builds frozen dataclasses, rejecting unknown keys and wrong
types with a message that names the key, so a typo in a store's file fails at
start-up instead of silently using a default. Secrets can stay out of the
file: ``token_env`` names an environment variable, and ``RTSTOCK_AGENT_TOKEN``
overrides the ingest-wide token. Example::

    [agent]
    queue_path = "/var/lib/rtstock/queue.db"
    status_port = 8765

    [ingest]
    url = "https://ingest.example.internal:8443"
    token_env = "RTSTOCK_AGENT_TOKEN"

    [queue]
    max_bytes = 268435456

    [[devices]]
    name = "S01-SCN-1"
    kind = "serial"
    port = "/dev/ttyACM0"
    baud = 9600
    terminator = "\\r"
    fnc1 = "^"          # the scanner sends ^ where the symbol has FNC1

    [[devices]]
    name = "S01-EXIT-1"   # the ingest device (role exit) whose token posts its tags
    kind = "llrp"
    port = "10.1.20.31:5084"

Caveats: devices have one token each in the ingest (the token names the
device); a device without its own ``token``/``token_env`` uses the ingest-wide
one, which then must belong to a device allowed to post for all of them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hardware.reads import OPERATIONS


class ConfigError(ValueError):
    """The configuration file is wrong; the message names the key."""


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """One device. ``kind`` is ``serial`` (pyserial scanner), ``evdev`` (keyboard wedge,
    Linux) or ``llrp`` (a fixed RFID reader driven over LLRP; ``port`` is
    ``host[:5084]``, and the ingest's device role, not ``op``, says what its tags do)."""

    name: str
    kind: str = "serial"
    port: str = ""
    baud: int = 9600
    prefix: str = ""
    suffix: str = ""
    terminator: str = "\r"
    fnc1: str = ""
    op: str = "sale"
    qty: float = 1
    location: int | None = None
    token: str = ""
    token_env: str = ""
    read_timeout_s: float = 0.2


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """Where and how reads are forwarded."""

    url: str = "http://127.0.0.1:8080"
    token: str = ""
    token_env: str = ""
    verify: bool | str = True
    batch_size: int = 200
    timeout_s: float = 10.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 60.0


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Disk bound of the local queue (see :mod:`hardware.queue`)."""

    max_bytes: int = 256 * 1024 * 1024
    alarm_ratio: float = 0.8
    min_free_bytes: int = 64 * 1024 * 1024
    on_corrupt: str = "recover"


@dataclass(frozen=True, slots=True)
class AgentSection:
    """Process-wide settings."""

    queue_path: str = ".rtstock/agent-queue.db"
    status_host: str = "127.0.0.1"
    status_port: int = 8765
    log_every_s: float = 60.0


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """The whole file."""

    agent: AgentSection = field(default_factory=AgentSection)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    devices: tuple[DeviceConfig, ...] = ()

    def token_for(self, device: DeviceConfig | None) -> str:
        """Bearer token to post ``device``'s reads with (device's own, else the ingest's)."""
        if device is not None:
            if device.token_env and os.environ.get(device.token_env):
                return os.environ[device.token_env]
            if device.token:
                return device.token
        if os.environ.get("RTSTOCK_AGENT_TOKEN"):
            return os.environ["RTSTOCK_AGENT_TOKEN"]
        if self.ingest.token_env and os.environ.get(self.ingest.token_env):
            return os.environ[self.ingest.token_env]
        return self.ingest.token


def _build(cls: type, section: str, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{section}] must be a table")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"[{section}]: unknown key(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        default = known[name].default
        expected = known[name].type
        if isinstance(default, bool) and "str" not in str(expected) and not isinstance(value, bool):
            raise ConfigError(f"[{section}] {name}: expected true/false, got {value!r}")
        if isinstance(default, int | float) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"[{section}] {name}: expected a number, got {value!r}")
            value = type(default)(value) if isinstance(default, float) else value
        if isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"[{section}] {name}: expected a string, got {value!r}")
        values[name] = value
    return cls(**values)


def parse_config(data: dict[str, Any]) -> AgentConfig:
    """Build and validate an :class:`AgentConfig` from parsed TOML."""
    unknown = sorted(set(data) - {"agent", "ingest", "queue", "devices"})
    if unknown:
        raise ConfigError(f"unknown section(s) {', '.join(unknown)}")
    devices_raw = data.get("devices", [])
    if not isinstance(devices_raw, list):
        raise ConfigError("devices must be an array of tables: [[devices]]")
    devices = tuple(
        _build(DeviceConfig, f"devices #{index + 1}", raw) for index, raw in enumerate(devices_raw)
    )
    config = AgentConfig(
        agent=_build(AgentSection, "agent", data.get("agent", {})),
        ingest=_build(IngestConfig, "ingest", data.get("ingest", {})),
        queue=_build(QueueConfig, "queue", data.get("queue", {})),
        devices=devices,
    )
    _validate(config)
    return config


def _validate(config: AgentConfig) -> None:
    names = [device.name for device in config.devices]
    if len(set(names)) != len(names):
        raise ConfigError("devices: names must be unique (they prefix the read keys)")
    for device in config.devices:
        if not device.name or ":" in device.name:
            raise ConfigError(f"device {device.name!r}: name must be non-empty without ':'")
        if device.kind not in {"serial", "evdev", "llrp"}:
            raise ConfigError(f"device {device.name}: kind must be 'serial', 'evdev' or 'llrp'")
        if not device.port:
            raise ConfigError(
                f"device {device.name}: port (serial device, evdev path or LLRP reader "
                "host[:port]) is required"
            )
        if device.kind == "llrp" and not device.port.rpartition(":")[2].isdigit() \
                and ":" in device.port:
            raise ConfigError(f"device {device.name}: port must be host or host:port")
        if device.op not in OPERATIONS:
            raise ConfigError(f"device {device.name}: op must be one of {sorted(OPERATIONS)}")
        if device.kind == "serial" and not device.terminator:
            raise ConfigError(f"device {device.name}: terminator must not be empty")
    if not config.ingest.url.startswith(("http://", "https://")):
        raise ConfigError("ingest.url must start with http:// or https://")
    if not isinstance(config.ingest.verify, bool | str):
        raise ConfigError("ingest.verify must be true, false or the path of a CA bundle")
    if config.ingest.batch_size < 1:
        raise ConfigError("ingest.batch_size must be at least 1")
    if not 0 < config.queue.alarm_ratio < 1:
        raise ConfigError("queue.alarm_ratio must be between 0 and 1")
    if config.queue.on_corrupt not in {"recover", "raise"}:
        raise ConfigError("queue.on_corrupt must be 'recover' or 'raise'")


def load_config(path: str | os.PathLike[str]) -> AgentConfig:
    """Read ``path`` (TOML); relative ``queue_path`` is taken relative to the file."""
    config_path = Path(path)
    try:
        with config_path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: {exc}") from exc
    config = parse_config(data)
    queue_path = Path(config.agent.queue_path)
    if not queue_path.is_absolute():
        queue_path = config_path.parent / queue_path
    agent = AgentSection(
        queue_path=str(queue_path),
        status_host=config.agent.status_host,
        status_port=config.agent.status_port,
        log_every_s=config.agent.log_every_s,
    )
    return AgentConfig(
        agent=agent, ingest=config.ingest, queue=config.queue, devices=config.devices
    )
