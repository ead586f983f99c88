"""Prometheus metrics, one registry per app (so tests can build many apps)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (
    0.002,
    0.005,
    0.01,
    0.02,
    0.03,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


@dataclass
class Metrics:
    """The service's metrics: requests, latencies, scores by band, the model in service."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "sidak_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "sidak_http_request_duration_seconds",
            "Request latency by route (seconds).",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.scores = Counter(
            "sidak_scores", "Transactions scored, by risk band.", ["band"], registry=r
        )
        self.model_info = Gauge(
            "sidak_model_info",
            "The model in service (value 1), labelled by version and hash.",
            ["model_version", "sha256"],
            registry=r,
        )
        self.model_loaded = Gauge(
            "sidak_model_loaded", "1 when a verified model is loaded, else 0.", registry=r
        )
        self.model_reloads = Counter(
            "sidak_model_reloads", "Model loads and swaps, by outcome.", ["outcome"], registry=r
        )
        self.coalesced = Counter(
            "sidak_coalesced_requests",
            "Small scoring requests served in a shared call.",
            registry=r,
        )

    def count_bands(self, bands: dict[str, int]) -> None:
        for band, n in bands.items():
            self.scores.labels(band=band).inc(n)

    def set_model(self, version: str | None, sha256: str | None) -> None:
        self.model_info.clear()
        if version is None:
            self.model_loaded.set(0)
            return
        self.model_info.labels(model_version=version, sha256=sha256 or "").set(1)
        self.model_loaded.set(1)
