"""Prometheus metrics of the ingest (exposed at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

READS = Counter("rtstock_reads_total", "Reads by fate", ["status"])
REJECTS = Counter("rtstock_rejects_total", "Rejected reads by reason", ["reason"])
BATCHES = Counter("rtstock_commit_batches_total", "Group-commit transactions")
BATCH_READS = Histogram("rtstock_commit_batch_reads", "Reads per group commit",
                        buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000, 10000))
COMMIT_SECONDS = Histogram("rtstock_commit_seconds", "Group-commit latency (transaction)",
                           buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5))
REQUEST_SECONDS = Histogram("rtstock_request_seconds", "POST /v1/reads latency (to ack)",
                            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5))
QUEUE_DEPTH = Gauge("rtstock_queue_reads", "Reads waiting for commit")
RETRIES = Counter("rtstock_commit_retries_total", "Transactions retried", ["error"])
#: A fault, not a mode: a group that could not commit as one transaction and was retried
#: request by request. Tests and the load suite fail when it is above zero.
GROUP_FALLBACKS = Counter("rtstock_group_fallbacks_total",
                          "Groups whose commit failed and were retried one request at a time",
                          ["cause"])
OVERLOADED = Counter("rtstock_overloaded_total", "Requests answered 503 because of load")
JOURNAL_LAG = Gauge("rtstock_journal_lag_seconds", "Age of the oldest event without a move")
WRITER_PAUSE = Gauge("rtstock_writer_pause_seconds",
                     "Pause before each group while the journal is behind (back-pressure)")
JOURNAL_PENDING = Gauge("rtstock_journal_pending_events", "Events waiting for the journal")
ALERT_WAKEUPS = Counter("rtstock_alert_wakeups_total",
                        "Alert triggers' wake-ups relayed to Odoo's cron and bus")
ALIEN_MESSAGES = Counter("rtstock_alien_messages_total",
                         "Alien readers' TCP notifications by outcome (committed, "
                         "unknown_device, refused, retried)", ["outcome"])
JOURNAL_MOVES = Counter("rtstock_journal_moves_total", "Done moves written by the journal")


def total(counter: Counter) -> float:
    """A counter's value summed over its labels (what the tests compare before and after)."""
    return sum(sample.value for metric in counter.collect()
               for sample in metric.samples if sample.name.endswith("_total"))


class QuantIdsCollector:
    """The writer's quant-id memory (``commit.quants.QuantIds``): its size, capacity,
    hits, misses and resets, read when ``/metrics`` is scraped (the hot path counts in
    plain integers, not through a metric's lock)."""

    def __init__(self, quant_ids) -> None:
        self.quant_ids = quant_ids

    def collect(self):
        ids = self.quant_ids
        yield GaugeMetricFamily("rtstock_quant_ids_entries",
                                "Keys in the writer's quant-id memory", value=len(ids))
        yield GaugeMetricFamily("rtstock_quant_ids_capacity",
                                "Keys the writer's quant-id memory holds before it is emptied",
                                value=ids.capacity)
        lookups = CounterMetricFamily("rtstock_quant_ids_lookups",
                                      "Lookups in the writer's quant-id memory",
                                      labels=["outcome"])
        lookups.add_metric(["hit"], ids.hits)
        lookups.add_metric(["miss"], ids.misses)
        yield lookups
        yield CounterMetricFamily("rtstock_quant_ids_resets",
                                  "Times the writer's quant-id memory was emptied when full",
                                  value=ids.resets)


_watched: list[QuantIdsCollector] = []


def watch_quant_ids(quant_ids) -> QuantIdsCollector:
    """Expose a writer's quant-id memory in ``/metrics``. A service has one writer; where a
    process starts another (tests), the newest is the one shown."""
    unwatch(*_watched)
    collector = QuantIdsCollector(quant_ids)
    REGISTRY.register(collector)
    _watched.append(collector)
    return collector


def unwatch(*collectors: QuantIdsCollector) -> None:
    for collector in collectors:
        if collector in _watched:
            REGISTRY.unregister(collector)
            _watched.remove(collector)
