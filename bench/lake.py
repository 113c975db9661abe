"""Benchmark of the lake (issue 26): build by DuckDB and by Spark, then the pages on the lake.

    python bench/lake.py                 # the 10M-row benchmark database (bench/bench.py makes it)
    python bench/lake.py --reuse         # keep the inputs and lakes of an earlier run

1. The benchmark database's transactions are written as Parquet files (one per year) and its
   customers as one file: the inputs, as a warehouse export would give them.
2. ``build --engine duckdb`` and ``build --engine spark`` (local mode, this machine's cores)
   each build a lake from them, in a fresh process: time and peak memory; Spark/DuckDB ratio
   (reported; Spark's local overhead is expected).
3. Every page step of ``bench/bench.py`` that reads what a lake holds runs cold (best of
   three fresh processes) on the DuckDB file the DuckDB build loaded (``_work/store.duckdb``)
   and on the Spark-built lake through ``--lake`` (its catalog of views): lake/file ratio,
   target 1.3.
4. The figures (summary, segments, pyramid, churn, CLV parameters) from the file and from the
   Spark lake are compared: equal to 1e-9 relative, else the bench fails.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

PAGE_STEPS = ["customer_base", "overview", "overview_filtered", "targets", "quadrant_a", "clv_500k", "value_500k",
              "churn", "lifecycle", "cohorts", "customer360", "affinity", "cross_sell"]
RATIO_TARGET = 1.3


def prepare(db: str, inputs: Path) -> float:
    t0 = time.perf_counter()
    shutil.rmtree(inputs, ignore_errors=True)
    (inputs / "transactions").mkdir(parents=True)
    con = duckdb.connect(db, read_only=True)
    years = [r[0] for r in con.execute("SELECT DISTINCT year(tx_date) FROM transactions ORDER BY 1").fetchall()]
    for y in years:
        con.execute(f"""COPY (SELECT transaction_id, order_id, customer_id, tx_date AS date, amount, cost, quantity,
                               product_id, product_category, channel, discount, currency
                        FROM transactions WHERE year(tx_date) = {int(y)} ORDER BY tx_date, transaction_id)
                        TO '{inputs / "transactions" / f"{y}.parquet"}' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT customer_id, name, email, phone, region, country, customer_type, acquisition_channel,
                           signup_date, account_manager FROM customers ORDER BY customer_id)
                    TO '{inputs / "customers.parquet"}' (FORMAT parquet)""")
    con.close()
    return time.perf_counter() - t0


def run_build(engine: str, inputs: Path, out: Path) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    # Run through a small parent that reports its own children's peak: the largest process
    # of the build (Spark's JVM, or the DuckDB process), not of every earlier step.
    cmd = [sys.executable, "-m", "crm_core", "build", "--engine", engine, "--transactions", str(inputs / "transactions"),
           "--customers", str(inputs / "customers.parquet"), "--out", str(out), "--json"]
    wrapper = ("import resource, subprocess, sys, time, json; t0 = time.perf_counter(); "
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(p.stdout, file=sys.stdout); print(p.stderr[-3000:], file=sys.stderr); "
               "print(json.dumps({'rc': p.returncode, 's': time.perf_counter() - t0, "
               "'peak_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, cwd=REPO)
    lines = proc.stdout.strip().splitlines()
    info = json.loads(lines[-1])
    if info["rc"]:
        raise SystemExit(proc.stderr[-3000:])
    doc = json.loads([x for x in lines[:-1] if x.startswith("{")][-1])
    return {"seconds": info["s"], "peak_mb": round(info["peak_kb"] / 1024), "result": doc}


def measure(step: str, db: str, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, str(REPO / "bench" / "bench.py"), "--db", db, "--measure", step],
                              capture_output=True, text=True, cwd=REPO)
        if proc.returncode:
            raise SystemExit(f"{step} on {db}: {proc.stderr[-2000:]}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["cold_s"])


FIGURES = """
import json, sys
from datetime import date
from crm_core.customers import overview, report
from crm_core.exits import churn
from crm_core.store.connection import Store
from crm_core.value import clv
store = Store(sys.argv[1])
as_of = overview.default_as_of(store)
rep = report.report(store, as_of)
model = clv.fit_models(clv.clv_summary(store, as_of, time_unit="week"), time_unit="week", calibration_end=as_of)
b, g = model.bgnbd.params, model.gamma_gamma.params
ch = churn.summary(store, as_of)
print(json.dumps({"summary": overview.summary(store, as_of), "segments": rep["segments"], "pyramid": rep["pyramid"],
                  "churn": {k: v for k, v in ch.items() if not isinstance(v, (list, dict))},
                  "bgnbd": [b.r, b.alpha, b.a, b.b], "gamma_gamma": [g.p, g.q, g.v]}, default=str))
"""


def figures(db: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", FIGURES, db], capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict):
        return [d for k in a for d in differences(a[k], b.get(k) if isinstance(b, dict) else None, f"{path}.{k}")]
    if isinstance(a, list):
        return [d for i, (x, y) in enumerate(zip(a, b or [])) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{path}: {a} vs {b}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="/tmp/crm-bench.duckdb", help="the benchmark database (bench/bench.py)")
    ap.add_argument("--work", default="/tmp/crm-bench-lake", help="folder for the inputs and the lakes")
    ap.add_argument("--reuse", action="store_true", help="keep inputs and lakes from an earlier run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--steps", nargs="*", default=PAGE_STEPS)
    args = ap.parse_args()
    work = Path(args.work)
    inputs, lakes = work / "inputs", {e: work / f"lake-{e}" for e in ("duckdb", "spark")}
    builds: dict[str, dict[str, Any]] = {}
    if not (args.reuse and all((lakes[e] / "_lake.json").exists() for e in lakes)):
        print(f"inputs (Parquet, one file per year) written in {prepare(args.db, inputs):.1f} s -> {inputs}")
        for engine in ("duckdb", "spark"):
            builds[engine] = run_build(engine, inputs, lakes[engine])
            r = builds[engine]["result"]
            peak = f"peak {builds[engine]['peak_mb']:>6} MB" if engine == "duckdb" else "peak (Spark's JVM not counted)"
            print(f"build --engine {engine:<7} {builds[engine]['seconds']:8.1f} s  {peak}  "
                  f"rows loaded {r['rows_loaded']:,}, set aside {r['rows_rejected']:,}; {r['tables']}")
        print(f"Spark local mode / DuckDB build: {builds['spark']['seconds'] / builds['duckdb']['seconds']:.2f}")
    from crm_core.lake.catalog import attach

    file_db, lake_db = str(lakes["duckdb"] / "_work" / "store.duckdb"), attach(lakes["spark"])
    ok = True
    print(f"{'step':<20}{'file cold s':>12}{'lake cold s':>12}{'ratio':>7}{'target':>7}{'lake peak MB':>13}")
    for step in args.steps:
        a, b = measure(step, file_db, args.repeat), measure(step, lake_db, args.repeat)
        ratio = b["cold_s"] / a["cold_s"]
        met = ratio <= RATIO_TARGET
        ok &= met
        print(f"{step:<20}{a['cold_s']:>12.3f}{b['cold_s']:>12.3f}{ratio:>7.2f}{RATIO_TARGET:>7.1f}{b['peak_mb']:>13}"
              f"  {'ok' if met else 'MISSED'}")
    diff = differences(figures(file_db), figures(lake_db))
    print("figures (summary, segments, pyramid, churn, CLV parameters), file vs Spark lake: "
          + ("identical to 1e-9" if not diff else f"{len(diff)} differ: {diff[:5]}"))
    return 0 if ok and not diff else 2


if __name__ == "__main__":
    sys.exit(main())
