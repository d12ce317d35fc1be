"""Choose the compiled hot path or its pure-Python twin.

What it is: the single switch between ``ingest_core.decode._speedups.<stage>``
(Cython) and ``ingest_core.decode.fallback.<stage>`` (pure Python).

How it works: ``RTSTOCK_PURE_PYTHON=1`` forces the twin; otherwise each stage
module is imported from ``_speedups`` and, if that fails (no compiler at
install time, or a broken build), from ``fallback``. ``SPEEDUPS`` is
``"cython"`` only when every compiled stage loaded, so a partial build is
visible instead of silently slow.

Caveats: the choice is made at import time; tests that need the other
implementation import ``ingest_core.decode.fallback.<stage>`` directly.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

_logger = logging.getLogger(__name__)

#: Hot-path stages that exist in both implementations.
STAGES: tuple[str, ...] = ("epc", "gs1", "dedupe")

PURE_PYTHON_FORCED = os.environ.get("RTSTOCK_PURE_PYTHON", "").strip().lower() in {
    "1",
    "true",
    "yes",
    "on",
}

_loaded: dict[str, str] = {}


def load(stage: str) -> ModuleType:
    """Return the implementation module of ``stage`` (compiled when possible)."""
    if stage not in STAGES:
        raise ValueError(f"unknown hot-path stage {stage!r}")
    if not PURE_PYTHON_FORCED:
        try:
            module = importlib.import_module(f"ingest_core.decode._speedups.{stage}")
        except ImportError as exc:
            _logger.info("compiled %s unavailable (%s); using pure Python", stage, exc)
        else:
            _loaded[stage] = "cython"
            return module
    _loaded[stage] = "python"
    return importlib.import_module(f"ingest_core.decode.fallback.{stage}")


def which() -> str:
    """``"cython"`` when every stage loaded so far is compiled, else ``"python"``."""
    for stage in STAGES:
        if stage not in _loaded:
            try:
                load(stage)
            except ImportError:
                _loaded[stage] = "missing"
    return "cython" if all(v == "cython" for v in _loaded.values()) else "python"
