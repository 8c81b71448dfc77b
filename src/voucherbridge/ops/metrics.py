"""`GET /metrics`: the Prometheus text of this process (or, in multiprocess mode, of every API
and worker process writing to PROMETHEUS_MULTIPROC_DIR), plus what only the database knows,
read at scrape time: the outbox backlog and dead rows per destination."""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.ops.repository import OpsRepo

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


class OutboxCollector(Collector):
    """Gauges computed from the outbox table when scraped (the same in every process)."""

    def __init__(self, make_uow: UnitOfWorkFactory) -> None:
        self.make_uow = make_uow

    def collect(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "voucherbridge_outbox_backlog",
            "Outbox rows still to deliver (pending or in flight), by destination",
            labels=["destination"],
        )
        dead = GaugeMetricFamily(
            "voucherbridge_outbox_dead",
            "Outbox rows that went dead (need a person), by destination",
            labels=["destination"],
        )
        with self.make_uow() as uow:
            counts = uow.repo(OpsRepo).outbox_by_destination()
        for destination, found in sorted(counts.items()):
            backlog.add_metric([destination], found["backlog"])
            dead.add_metric([destination], found["dead"])
        yield backlog
        yield dead


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def render_metrics(make_uow: UnitOfWorkFactory) -> bytes:
    """The exposition text: the processes' own metrics, then the database's."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(OutboxCollector(make_uow))
    return own + generate_latest(database)


def scrape_allowed(token: str, authorization: str | None) -> bool:
    """Whether a scrape may read the metrics: always without a token, else only with it."""
    if not token:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
