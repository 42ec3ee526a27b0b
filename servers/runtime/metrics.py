"""Prometheus metrics of the RPC surface (served on HOTELAGG_METRICS_PORT when set)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RPC_TOTAL = Counter("hotelagg_rpc_total", "RPCs handled", ["method", "code"])
RPC_SECONDS = Histogram(
    "hotelagg_rpc_seconds",
    "RPC handling time",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def observe_rpc(method: str, code: str, seconds: float) -> None:
    RPC_TOTAL.labels(method, code).inc()
    RPC_SECONDS.labels(method).observe(seconds)
