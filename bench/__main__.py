"""`python -m bench [name ...]`: runs the named benchmarks (default: all six),
then prints one summary line per benchmark from the JSON it recorded under bench/results/."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench.common import RESULTS, ROOT, machine

BENCHMARKS = ("hot_hold", "sync_freshness", "bulk_ingest", "search", "booking", "partner_delivery")  # the default set


def available() -> list[str]:
    """Every benchmark module in bench/ (others may be added beside the default set)."""
    return sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in ("__init__", "__main__", "common"))


def _hot_hold(r: dict) -> tuple[str, str, str, bool]:
    ours, base = r["hold_inventory_rpc"], r["baseline_sql_update"]
    return (f"{ours['holds_per_second']:,.0f} holds/s (p99 {ours['p99_ms']} ms)",
            f"{base['holds_per_second']:,.0f} holds/s SQL UPDATE",
            f"{r['ratio']}× (goal ≥ {r['goal_ratio']}×)", r["ratio"] >= r["goal_ratio"])


def _ms(value: float | None) -> str:
    return "never" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _sync_freshness(r: dict) -> tuple[str, str, str, bool]:
    got, watch, floor = r["get_availability_sample"], r["watch_inventory"], r["baseline_transport_floor"]
    return (f"GetAvailability p50/p99 {_ms(got['p50_ms'])}/{_ms(got['p99_ms'])} ms, watch "
            f"{_ms(watch['p50_ms'])}/{_ms(watch['p99_ms'])} ms, {watch['never_seen']} unseen; "
            f"{r['achieved_changes_per_second']:.0f} changes/s offered, {r['mirror_changes_per_second']:.0f}/s applied",
            f"webhook floor p50/p99 {_ms(floor['p50_ms'])}/{_ms(floor['p99_ms'])} ms",
            f"p99 ≤ {r['goal_p99_ms']} ms", r["goal_met"])


def _bulk_ingest(r: dict) -> tuple[str, str, str, bool]:
    one, four = r["apply_channel_updates_1_stream"], r["apply_channel_updates_4_stream"]
    many, copy = r["baseline_executemany_pipeline"], r["baseline_copy"]
    return (f"{one['room_nights_per_second']:,} room-nights/s (1 stream), "
            f"{four['room_nights_per_second']:,} (4 streams)",
            f"COPY {copy['room_nights_per_second']:,}/s, executemany {many['room_nights_per_second']:,}/s",
            f"{r['ratio_vs_fastest_raw']}× raw, {r['ratio_vs_executemany']}× executemany "
            f"(goal ≥ {r['goal_ratio']}× and ≥ {r['goal_room_nights_per_second']:,}/s)", r["goal_met_1_stream"])


def _search(r: dict) -> tuple[str, str, str, bool]:
    t = r["throughput_10000_hotels"]
    return (f"{t['max_search_per_second']:,.0f} searches/s", f"Health/Check {t['max_health_per_second']:,.0f}/s",
            f"{t['ratio']}× (goal ≥ {t['goal_ratio']}×), latency growth 100→10,000 hotels ≤ 1.3×", r["goal_met"])


def _booking(r: dict) -> tuple[str, str, str, bool]:
    b, o = r["bookings_per_second"], r["open_loop_half_max"]
    return (f"{b['hot']['ours']:,.0f} bookings/s hot, {b['distinct']['ours']:,.0f} distinct; "
            f"CreateBooking p99 {o['create_p99_ms']} ms at {o['offered_bookings_per_second']}/s",
            f"SQL: {b['hot']['baseline_committed']:,.0f} hot, {b['distinct']['baseline_committed']:,.0f} distinct",
            f"hot {r['ratios']['hot_vs_committed']}× (goal ≥ {r['goals']['hot_ratio']}×), "
            f"p99 ≤ {r['goals']['create_p99_ms']} ms", r["goal_met"])


def _partner_delivery(r: dict) -> tuple[str, str, str, bool]:
    ours, alone, direct = r["through_hotelagg"], r["baseline_unlisted"], r["baseline_straight_to_partner"]
    lag = ", ".join(f"{p.removeprefix('bench-')} p50/p99 {_ms(ours[p]['p50_ms'])}/{_ms(ours[p]['p99_ms'])} ms, "
                    f"{ours[p]['requests_per_change']} req/change, {ours[p]['rate_limited']} rate-limited"
                    for p in ("bench-json", "bench-ota"))
    return (f"{lag}; {ours['achieved_changes_per_second']:.0f} changes/s",
            f"UpdateInventory alone p99 {_ms(alone['answer']['p99_ms'])} ms; straight to partner p99 "
            f"{_ms(direct['bench-json']['p99_ms'])}/{_ms(direct['bench-ota']['p99_ms'])} ms",
            f"p99 ≤ {r['goal_p99_ms']} ms, 0 rate-limited", r["goal_met"])


SUMMARIES = {"hot_hold": _hot_hold, "sync_freshness": _sync_freshness, "bulk_ingest": _bulk_ingest,
             "search": _search, "booking": _booking, "partner_delivery": _partner_delivery}


def run(name: str) -> tuple[int, float]:
    started = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=ROOT)
    return code, time.perf_counter() - started


def summary(name: str, code: int, seconds: float) -> list[str]:
    path = RESULTS / f"{name}.json"
    if code != 0 or not path.exists():
        return [name, f"FAILED (exit {code})", "", "", "no", f"{seconds:.0f}"]
    result = json.loads(path.read_text())
    summarize = SUMMARIES.get(name, lambda r: (f"see {path.relative_to(ROOT)}", "", "", r.get("goal_met")))
    ours, baseline, goal, met = summarize(result)
    return [name, ours, baseline, goal, {True: "yes", False: "NO"}.get(met, "?"), f"{seconds:.0f}"]


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(available())}", file=sys.stderr)
        return 2
    rows = []
    for name in names:
        print(f"== {name}", flush=True)
        rows.append(summary(name, *run(name)))
    header = ["benchmark", "ours", "baseline (same run)", "goal", "met", "s"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{machine()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    # A goal missed is a result, not a failure: only a benchmark that did not run fails the command.
    return 1 if any(r[1].startswith("FAILED") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
