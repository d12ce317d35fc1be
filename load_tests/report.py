"""The load suite's verdict: per-kind figures, the reasons a run failed, the final table.

What it is: pure functions over what a run left behind (locust's final stats
per request name with the reads each carried, the ingest's ``/metrics`` and
log) that ``run.py`` calls after the run and that tests call with made-up
figures.

How it works: a *kind* is a locust request name (``scanner_batch``,
``count_close``, ...; see ``KINDS``). ``summarize`` turns each kind's stats,
the reads its successful requests carried and the run's duration into a row;
``reasons`` lists one line per cause of failure (failed requests, a kind that
sent nothing, p99 above its threshold, ERROR records in the ingest's log,
group-commit fallbacks, locust's own non-zero exit); the run passes when the
list is empty. ``judge`` does both for a run record as ``run.py`` keeps it.

Caveats: locust rounds response times before it takes percentiles: to 10 ms
from 100 ms, to 100 ms from 1 s; a p99 of 250 ms means 245-254 ms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from prometheus_client.parser import text_string_to_metric_families

#: Request name in locust's stats (a "kind") -> the locust user class that sends it.
KINDS: dict[str, str] = {
    "scanner_batch": "ScannerAgentUser",
    "pos_gate": "PosGateUser",
    "exit_impinj": "ImpinjExitUser",
    "exit_zebra": "ZebraExitUser",
    "dock": "DockReaderUser",
    "count_open": "HandheldCountUser",
    "count_tags": "HandheldCountUser",
    "count_close": "HandheldCountUser",
    "healthz": "BackOfficeReader",
    "metrics": "BackOfficeReader",
}
#: The kinds whose requests carry reads (scans or tag reads); the others carry none.
READING_KINDS = ("scanner_batch", "pos_gate", "exit_impinj", "exit_zebra", "dock", "count_tags")
#: p99 limits that differ from ``--p99-ms`` unless given again with ``--p99-ms-kind``:
#: closing a count session compares the whole location with Odoo's quants and applies or
#: writes the differences (``docs/benchmarks.md``: 0.7-1.6 s for 2 000 products).
DEFAULT_P99_MS_KIND: dict[str, float] = {"count_close": 2000.0}


def user_classes() -> list[str]:
    """The locust user classes of the suite, once each, in ``KINDS`` order."""
    return list(dict.fromkeys(KINDS.values()))


def thresholds(p99_ms: float, overrides: Iterable[str] = ()) -> dict[str, float]:
    """p99 limit per kind: ``p99_ms``, the defaults above, then ``KIND=MS`` overrides."""
    limits = {kind: p99_ms for kind in KINDS} | DEFAULT_P99_MS_KIND
    for override in overrides:
        kind, _, value = override.partition("=")
        if kind not in KINDS:
            raise ValueError(f"--p99-ms-kind {override!r}: unknown kind {kind!r}; "
                             f"kinds: {', '.join(KINDS)}")
        try:
            limits[kind] = float(value)
        except ValueError:
            raise ValueError(f"--p99-ms-kind {override!r}: expected KIND=MS") from None
    return limits


def summarize(stats: Mapping[str, Mapping], duration_s: float,
              limits: Mapping[str, float]) -> list[dict]:
    """One row per kind (``KINDS`` order): requests, failures, rates, p50/p99, limit, verdict.

    ``stats``: per request name, locust's ``requests``, ``failures``, ``p50_ms``,
    ``p99_ms`` and the ``reads`` its successful requests carried (what the
    locustfile writes); rates are over ``duration_s``, the run's duration
    (first spawn to stop).
    """
    rows = []
    for kind in KINDS:
        entry = stats.get(kind) or {}
        requests, failures = entry.get("requests", 0), entry.get("failures", 0)
        p99 = entry["p99_ms"] if requests else math.nan
        problems = [problem for problem, found in (
            ("no requests", not requests), ("failures", failures),
            ("p99 too high", p99 > limits[kind])) if found]
        rows.append({
            "kind": kind, "user_class": KINDS[kind], "requests": requests,
            "failures": failures, "requests_per_s": requests / duration_s,
            "reads": entry.get("reads", 0), "reads_per_s": entry.get("reads", 0) / duration_s,
            "p50_ms": entry["p50_ms"] if requests else math.nan, "p99_ms": p99,
            "p99_limit_ms": limits[kind], "verdict": ", ".join(problems) or "ok"})
    return rows


def reasons(rows: list[dict], *, error_count: int, first_error: str = "", fallbacks: int,
            locust_exit: int, locust_finished: bool = True) -> list[str]:
    """One line per cause of failure; empty when the run passed.

    ``locust_finished``: the locustfile wrote its final stats (it ran to its end).
    """
    found = []
    failed = [row for row in rows if row["failures"]]
    if failed:
        found.append(f"{sum(row['failures'] for row in failed)} requests failed: " + ", ".join(
            f"{row['kind']} {row['failures']} of {row['requests']}" for row in failed))
    silent = [row["kind"] for row in rows if not row["requests"]]
    if silent:
        found.append(f"no requests at all of: {', '.join(silent)} (run too short, or the "
                     "user class did not start: see locust's output)")
    slow = [row for row in rows if row["p99_ms"] > row["p99_limit_ms"]]  # NaN: no requests
    if slow:
        found.append("p99 above threshold: " + ", ".join(
            f"{row['kind']} {row['p99_ms']:g} ms > {row['p99_limit_ms']:g} ms" for row in slow))
    if error_count:
        found.append(f"the ingest logged {error_count} ERROR records; the first: "
                     + (first_error.splitlines() or [""])[0])
    if fallbacks:
        found.append(f"the ingest fell back to one-request commits {fallbacks} times "
                     "(rtstock_group_fallbacks_total)")
    if not locust_finished:
        found.append(f"locust (exit status {locust_exit}) wrote no final stats: it did not "
                     "run to its end")
    elif locust_exit and not failed:
        found.append(f"locust exited with status {locust_exit} (exceptions in the users? "
                     "see its output)")
    return found


def judge(run: Mapping, limits: Mapping[str, float]) -> tuple[list[dict], list[str]]:
    """Rows and reasons of a run record (``run.py``: ``{"seconds", "locust": {"exit_status",
    "duration_s", "stats"}, "ingest": {"group_fallbacks", "error_count", "errors", ...}}``)."""
    locust, ingest = run["locust"], run["ingest"]
    finished = locust.get("stats") is not None
    duration = locust.get("duration_s") or float(run["seconds"])
    rows = summarize(locust.get("stats") or {}, duration, limits)
    errors = ingest.get("errors") or [""]
    return rows, reasons(rows, error_count=ingest["error_count"], first_error=errors[0],
                         fallbacks=ingest["group_fallbacks"],
                         locust_exit=locust["exit_status"], locust_finished=finished)


def reads_by_status(metrics_text: bytes | str) -> dict[str, float]:
    """``rtstock_reads_total`` by ``status`` from a ``/metrics`` answer."""
    if isinstance(metrics_text, bytes):
        metrics_text = metrics_text.decode()
    return {sample.labels["status"]: sample.value
            for family in text_string_to_metric_families(metrics_text)
            if family.name == "rtstock_reads"
            for sample in family.samples if sample.name == "rtstock_reads_total"}


def _cell(value) -> str:
    """Numbers as people read them: 1,823 / 14.8 / 0.001; ``-`` for none."""
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if value.is_integer() or abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.1f}" if abs(value) >= 1 else f"{value:.2g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(rows: list[dict], aggregated: Mapping | None = None) -> str:
    """The rows as a fixed-width text table with a total line (p50/p99 of ``aggregated``,
    locust's figures over all requests, when given)."""
    header = ("kind", "requests", "failures", "requests/s", "reads/s", "p50 ms", "p99 ms",
              "p99 limit", "verdict")
    keys = ("kind", "requests", "failures", "requests_per_s", "reads_per_s", "p50_ms",
            "p99_ms", "p99_limit_ms", "verdict")
    lines = [[_cell(row[key]) for key in keys] for row in rows]
    lines.append(["total", _cell(sum(r["requests"] for r in rows)),
                  _cell(sum(r["failures"] for r in rows)),
                  _cell(sum(r["requests_per_s"] for r in rows)),
                  _cell(sum(r["reads_per_s"] for r in rows)),
                  _cell(float((aggregated or {}).get("p50_ms", math.nan))),
                  _cell(float((aggregated or {}).get("p99_ms", math.nan))), "", ""])
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells) -> str:
        return "  ".join(cell.ljust(width) if i in (0, 8) else cell.rjust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join(render(cells).rstrip()
                     for cells in [header, ["-" * w for w in widths], *lines])
