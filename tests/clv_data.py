"""Test data for the CLV models: the CDNOW sample and a BG/NBD simulator with known truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CDNOW_SAMPLE = Path(__file__).parent / "data" / "cdnow_sample.txt"
CALIBRATION_END = pd.Timestamp("1997-09-30")   # 39 weeks, as in Fader, Hardie & Lee (2005)
HOLDOUT_END = pd.Timestamp("1998-06-30")

# Published maximum-likelihood estimates on the CDNOW 1/10th sample (2,357 customers).
FHL_2005 = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4}
FH_2013_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44, "customers": 946}


def cdnow_transactions() -> pd.DataFrame:
    """One row per CDNOW purchase record: customer_id, date, cds, amount."""
    df = pd.read_csv(CDNOW_SAMPLE, sep=r"\s+", header=None, names=["customer_id", "master_id", "date", "cds", "amount"],
                     dtype={"customer_id": str, "master_id": str, "date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df[["customer_id", "date", "cds", "amount"]]


def cdnow_summary(unit_days: float = 7.0) -> pd.DataFrame:
    """x, t_x, T and average repeat value per customer, computed in plain pandas."""
    tx = cdnow_transactions()
    days = tx.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    first = days.groupby("customer_id")["date"].min()
    cal = days[days["date"] <= CALIBRATION_END]
    g = cal.groupby("customer_id").agg(n=("date", "size"), last=("date", "max"), total=("amount", "sum"))
    first_value = days[days["date"] == days["customer_id"].map(first)].set_index("customer_id")["amount"]
    out = pd.DataFrame({"x": (g["n"] - 1).astype(float),
                        "t_x": (g["last"] - first[g.index]).dt.days / unit_days,
                        "T": (CALIBRATION_END - first[g.index]).dt.days / unit_days})
    out["m"] = np.where(out["x"] > 0, (g["total"] - first_value[g.index]) / out["x"].clip(lower=1), np.nan)
    return out


def simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, *, T_min: float = 30.0, T_max: float = 80.0,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers drawn from the BG/NBD story: rate ~ Gamma(r, alpha), dropout ~ Beta(a, b),
    exponential waits between purchases, dropout possible after each repeat purchase."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(T_min, T_max, n)
    x, t_x, now = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1 / lam[idx])
        bought = now[idx] <= T[idx]
        done = idx[~bought]
        alive[done] = False
        got = idx[bought]
        x[got] += 1
        t_x[got] = now[got]
        alive[got[rng.random(got.size) < p[got]]] = False
    return x, t_x, T


def simulate_spend(x: np.ndarray, p: float, q: float, v: float, seed: int = 0) -> np.ndarray:
    """Average repeat value per customer under the Gamma-Gamma model (NaN where x == 0)."""
    rng = np.random.default_rng(seed)
    nu = rng.gamma(q, 1 / v, x.size)                       # each customer's scale
    total = rng.gamma(np.maximum(p * x, 1e-12), 1 / nu)    # sum of x Gamma(p, nu) values
    return np.where(x > 0, total / np.maximum(x, 1), np.nan)


def cdnow_store(path: Path, costs: bool = True):  # -> Store
    """A real CRM database holding the CDNOW sample (one transaction row per record); with
    ``costs=False`` as published, without a cost column (the margin is then assumed)."""
    from crm_core.store.connection import Store

    tx = cdnow_transactions()
    tx["transaction_id"] = [f"T{i:05d}" for i in range(len(tx))]
    tx["tx_date"] = tx["date"].dt.date
    tx["cost"] = tx["amount"] * 0.7 if costs else None
    tx["quantity"] = tx["cds"]
    store = Store(path, create=True)
    with store.transaction() as cur:
        cur.register("cdnow_tx", tx[["transaction_id", "customer_id", "tx_date", "amount", "cost", "quantity"]])
        cur.execute("INSERT INTO customers (customer_id) SELECT DISTINCT customer_id FROM cdnow_tx")
        cur.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount, cost, quantity) "
                    "SELECT transaction_id, customer_id, tx_date, amount, cost, quantity FROM cdnow_tx")
        cur.unregister("cdnow_tx")
        Store.refresh_derived(cur)
        Store.bump_data_version(cur)
    return store
