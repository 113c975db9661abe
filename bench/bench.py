"""Benchmark: generate N transactions across M customers, then time every page's data.

    python bench/bench.py                      # 10,000,000 transactions, 500,000 customers
    python bench/bench.py --transactions 1000000 --customers 50000 --reuse

Each measurement runs in a fresh child process (a cold start: new process, new DuckDB
connection, no Streamlit cache; the operating system's file cache is warm, as it is
for a running server) and reports its own peak resident memory. "Cached" is the
second call of the same Streamlit-cached function in that process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm_core.store import Store  # noqa: E402

REGIONS = ["Korea", "Mainland China", "Taiwan", "Japan", "Hong Kong", "Singapore", "United States"]
CHANNELS = ["online", "store", "mobile app", "partner", "referral", "direct sales"]
TYPES = ["consumer"] * 17 + ["small business", "enterprise", "public sector"]


def generate(path: Path, transactions: int, customers: int) -> tuple[float, float]:
    """Synthetic data straight in DuckDB (deterministic hashes, skewed customers, date-ordered).

    Returns (total seconds, seconds spent in ``Store.refresh_derived``), the latter being
    what every ingest of the whole history pays on top of the insert.
    """
    t0 = time.perf_counter()
    path.unlink(missing_ok=True)
    store = Store(path, create=True)
    with store.transaction() as cur:
        cur.execute("""
            INSERT INTO customers (customer_id, name, region, customer_type, acquisition_channel, signup_date)
            SELECT 'C' || lpad(CAST(i AS VARCHAR), 7, '0'), 'Customer ' || i,
                   list_extract($regions, 1 + CAST(hash(i, 1) % 7 AS INTEGER)),
                   list_extract($types, 1 + CAST(hash(i, 2) % 20 AS INTEGER)),
                   list_extract($channels, 1 + CAST(hash(i, 3) % 6 AS INTEGER)),
                   DATE '2021-06-01' + CAST(hash(i, 4) % 1500 AS INTEGER)
            FROM range(1, $m + 1) r(i)""", {"regions": REGIONS, "types": TYPES, "channels": CHANNELS, "m": customers})
        cur.execute("""
            INSERT INTO transactions (transaction_id, customer_id, tx_date, amount, cost, quantity, channel, currency)
            SELECT 'T' || lpad(CAST(i AS VARCHAR), 10, '0'),
                   'C' || lpad(CAST(1 + CAST(floor(pow((hash(i, 5) % 1000000) / 1e6, 2.2) * $m) AS BIGINT) AS VARCHAR), 7, '0'),
                   DATE '2022-01-01' + CAST(hash(i, 6) % 1734 AS INTEGER) AS d,
                   CAST(CASE WHEN hash(i, 7) % 40 = 0 THEN -1 ELSE 1 END * (5 + (hash(i, 8) % 40000) / 100.0) AS DECIMAL(18, 2)),
                   CAST(CASE WHEN hash(i, 7) % 40 = 0 THEN -1 ELSE 1 END * (5 + (hash(i, 8) % 40000) / 100.0) * 0.6 AS DECIMAL(18, 2)),
                   1, 'online', 'USD'
            FROM range(1, $n + 1) r(i)
            ORDER BY d""", {"n": transactions, "m": customers})
        t_refresh = time.perf_counter()
        Store.refresh_derived(cur)
        t_refresh = time.perf_counter() - t_refresh
        Store.bump_data_version(cur)
    with store.cursor() as cur:
        cur.execute("CHECKPOINT")
    return time.perf_counter() - t0, t_refresh


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM resets at exec; ``ru_maxrss`` would
    carry over the parent's peak (the generator's) into every measuring child."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(step: str, db: str) -> dict[str, Any]:
    """Run one step cold, then (where the app caches it) once more through the cache."""
    import warnings

    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from crm_app import data
    from crm_core import customers, overview
    from crm_core.filters import Filters

    store = Store(db)
    as_of = overview.default_as_of(store)
    version = store.data_version()
    f = Filters()
    out: dict[str, Any] = {"step": step}
    t0 = time.perf_counter()
    if step == "customer_base":
        df = customers.customer_base(store, as_of)
        out["rows"] = len(df)
        out["cold_s"] = time.perf_counter() - t0
    elif step == "overview":
        def run() -> None:
            data.kpis(db, version, as_of, f, 365)
            data.trend(db, version, as_of, f)
            data.pareto(db, version, as_of, f, 365, "revenue")
        run()
        out["cold_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        run()
        out["cached_s"] = time.perf_counter() - t1
    elif step == "overview_filtered":
        fk = Filters.of(regions=["Korea"], customer_types=["consumer"])
        overview.kpis(store, as_of, fk)
        overview.trend(store, as_of, fk)
        overview.pareto(store, as_of, fk)
        out["cold_s"] = time.perf_counter() - t0
    elif step == "targets":
        s = data.TargetSettings(as_of=as_of, filters=f)
        data.targets(db, version, s)
        out["cold_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        data.targets(db, version, s)
        out["cached_s"] = time.perf_counter() - t1
    elif step == "micro_cut":
        from crm_core import micro
        frame = data.micro_frame(db, version, data.TargetSettings(as_of=as_of, filters=f))
        t0 = time.perf_counter()  # the cut alone, on the page's cached frame
        cells = micro.cut(frame, ["region", "customer_type", "tier"])
        micro.cut(frame, ["category"], {"tier": ["top", "big"]})
        micro.compare(frame, {"region": ["Korea"]}, {"region": ["Japan"], "tier": ["small"]})
        out["cold_s"], out["rows"] = (time.perf_counter() - t0) / 3, len(cells)
    elif step == "demo_default":
        from crm_core import demo
        res = demo.generate(Path(db).with_name("bench-demo.duckdb"), force=True)
        out["cold_s"], out["rows"] = res.seconds, res.transactions
    elif step == "demo_500k":
        from crm_core import demo
        res = demo.generate(Path(db).with_name("bench-demo-500k.duckdb"), customers=500_000, force=True)
        out["cold_s"], out["rows"] = res.seconds, res.transactions
    else:
        raise SystemExit(f"unknown step {step}")
    out["peak_mb"] = round(_peak_mb())
    return out


STEPS = [  # (step, target cold seconds, target cached seconds, target peak MB)
    ("customer_base", 1.0, None, 2048),
    ("overview", 1.5, 0.1, 2048),
    ("overview_filtered", 1.5, None, 2048),
    ("targets", 1.5, 0.1, 2048),      # segment map, grid, pyramid and both Pareto curves
    ("micro_cut", 0.3, None, 2048),    # one micro-segment cut (mean of three kinds)
    ("demo_default", 10.0, None, None),
    ("demo_500k", None, None, None),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=500_000)
    ap.add_argument("--db", default="/tmp/crm-bench.duckdb")
    ap.add_argument("--reuse", action="store_true", help="keep an existing benchmark database")
    ap.add_argument("--repeat", type=int, default=3, help="cold runs per step (the best is reported)")
    ap.add_argument("--steps", nargs="*", default=[s[0] for s in STEPS])
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.db)))
        return 0
    db = Path(args.db)
    if not (args.reuse and db.exists()):
        secs, refresh = generate(db, args.transactions, args.customers)
        print(f"generated {args.transactions:,} transactions / {args.customers:,} customers in {secs:.1f} s "
              f"(refresh_derived {refresh:.1f} s) -> {db}")
    print(f"{'step':<20}{'cold s (best)':>14}{'target':>8}{'cached s':>10}{'target':>8}{'peak MB':>9}{'target':>8}")
    ok = True
    for step, t_cold, t_cached, t_mem in STEPS:
        if step not in args.steps:
            continue
        runs = []
        for _ in range(1 if step.startswith("demo") else args.repeat):
            proc = subprocess.run([sys.executable, __file__, "--db", str(db), "--measure", step], capture_output=True,
                                  text=True, cwd=REPO)
            if proc.returncode:
                print(proc.stderr[-2000:])
                return 1
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["cold_s"])
        peak = max(r["peak_mb"] for r in runs)
        cached = best.get("cached_s")
        met = (t_cold is None or best["cold_s"] <= t_cold) and (t_cached is None or (cached or 0) <= t_cached) \
            and (t_mem is None or peak <= t_mem)
        ok &= met
        fmt = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"  # noqa: E731
        print(f"{step:<20}{fmt(best['cold_s']):>14}{fmt(t_cold, 1):>8}{fmt(cached):>10}{fmt(t_cached, 1):>8}"
              f"{peak:>9}{'-' if t_mem is None else t_mem:>8}  {'ok' if met else 'MISSED'}"
              + (f"  ({best['rows']:,} rows)" if "rows" in best else ""))
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
