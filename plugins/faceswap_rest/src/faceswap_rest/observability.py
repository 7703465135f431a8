"""What the service tells its operators: a JSON access log line per request, and Prometheus metrics.

The access log goes to the ``faceswap.rest.access`` logger as one JSON object per
request: ``request_id`` (the caller's ``X-Request-ID`` when it is a sane token,
else a new one; echoed in the response), ``method``, ``route`` (the route's
template, so ids do not explode the cardinality), ``status``, ``duration_ms``
and, where they apply, ``error`` (the error code of a failed request),
``body_bytes`` (request body bytes received) and, for swaps, ``faces`` found and
swapped. ``/metrics`` exposes the same in
Prometheus' text format from a registry private to the app.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "faceswap.rest.access"
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
INFO_KEY = "faceswap"
"""Scope key where handlers leave what the access log reports (``faces``)."""

LOGGED_KEYS = ("error", "body_bytes", "faces", "faces_swapped", "frames", "dropped")
"""What handlers may add to a request's access log line (through :func:`note`)."""
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class JobCounts(Collector):
    """Job counts by status, read from the job store at scrape time."""

    def __init__(self, counts: Any) -> None:
        self._counts = counts

    def collect(self) -> Any:
        family = GaugeMetricFamily(
            "faceswap_jobs", "Video jobs in the job folder by status", labels=["status"]
        )
        for status, count in sorted(self._counts().items()):
            family.add_metric([status], count)
        yield family


class Metrics:
    """The service's Prometheus metrics, in their own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "faceswap_http_requests_total",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "faceswap_http_request_duration_seconds",
            "HTTP request latency by route template and method",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.swaps_in_flight = Gauge(
            "faceswap_swaps_in_flight",
            "Swaps admitted and not finished (running or waiting for a thread)",
            registry=self.registry,
        )
        self.swaps_queued = Gauge(
            "faceswap_swaps_queued",
            "Requests waiting for a swap slot (max_queued_swaps)",
            registry=self.registry,
        )
        self.queue_wait = Histogram(
            "faceswap_swap_queue_wait_seconds",
            "Seconds a swap waited for its slot (0 when one was free)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.faces_swapped = Counter(
            "faceswap_faces_swapped_total", "Faces swapped by /v1/swap", registry=self.registry
        )
        self.rejected = Counter(
            "faceswap_overload_rejections_total",
            "Requests answered 503 because every slot (and the wait queue) was taken",
            ["what"],
            registry=self.registry,
        )
        self.stream_frames = Counter(
            "faceswap_stream_frames_total",
            "WebSocket stream frames by outcome (swapped, dropped, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.streams = Gauge(
            "faceswap_streams_open", "Open WebSocket streams", registry=self.registry
        )

    def watch_jobs(self, counts: Any) -> None:
        self.registry.register(JobCounts(counts))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)


def request_id(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == REQUEST_ID_HEADER.encode():
            text = bytes(value).decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    path: object = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"


class Observability:
    """ASGI middleware: request id, access log line, request count and latency per route."""

    def __init__(self, app: ASGIApp, metrics: Metrics, *, log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.log = log
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        scope[INFO_KEY] = {"request_id": rid}
        started = time.perf_counter()
        status = 500 if scope["type"] == "http" else 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "websocket.accept":
                status = 101
            elif message["type"] == "websocket.close" and status == 0:
                status = 403  # closed before it was accepted: uvicorn answers 403
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            status = status or 101
            route = route_template(scope)
            method = scope.get("method", "WS") if scope["type"] == "http" else "WS"
            self.metrics.observe(route, method, status, seconds)
            if self.log:
                info = scope.get(INFO_KEY, {})
                record: dict[str, Any] = {
                    "request_id": rid,
                    "method": method,
                    "route": route,
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(seconds * 1000.0, 3),
                }
                for key in LOGGED_KEYS:
                    if key in info:
                        record[key] = info[key]
                self.logger.info(json.dumps(record))


def configure_access_log() -> None:
    """Print access log lines as they are (JSON) on stderr, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def note(scope: Scope, **values: Any) -> None:
    """Leave values for the access log line of this request (``faces=3``)."""
    info = scope.setdefault(INFO_KEY, {})
    info.update(values)


__all__ = [
    "ACCESS_LOGGER",
    "Metrics",
    "Observability",
    "configure_access_log",
    "note",
    "request_id",
    "route_template",
]
