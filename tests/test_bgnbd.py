"""BG/NBD: published CDNOW results, planted parameters recovered, gradient, grouping, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.errors import ModelFitError
from crm_core.value.bgnbd import (
    BgNbdParams,
    _Objective,
    _terms,
    expected_count_distribution,
    expected_purchases,
    fit_bgnbd,
    group_triples,
    log_likelihood,
    p_alive,
)
from tests.clv_data import FHL_2005, cdnow_summary, simulate_bgnbd


@pytest.fixture(scope="module")
def cdnow():
    return cdnow_summary()


def test_cdnow_gives_the_published_estimates(cdnow) -> None:
    x, t_x, T, w, _ = group_triples(cdnow["x"], cdnow["t_x"], cdnow["T"])
    fit = fit_bgnbd(x, t_x, T, w)
    assert fit.customers == 2357 and fit.converged
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit.params, name) == pytest.approx(FHL_2005[name], abs=0.0006), name
    assert fit.log_likelihood == pytest.approx(FHL_2005["log_likelihood"], abs=0.05)
    assert fit.std_errors is not None and 0 < fit.std_errors.r < 0.05


def test_published_conditional_expectation() -> None:
    # FHL 2005, section 5: x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226 purchases in the next 39 weeks.
    p = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    assert expected_purchases(p, 39, np.array([2.0]), np.array([30.43]), np.array([38.86]))[0] == pytest.approx(
        1.226, abs=0.001)


def test_grouping_changes_nothing(cdnow) -> None:
    raw = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    x, t_x, T, w, inverse = group_triples(cdnow["x"], cdnow["t_x"], cdnow["T"])
    grouped = fit_bgnbd(x, t_x, T, w)
    assert w.sum() == len(cdnow) and len(x) < len(cdnow) / 2
    assert np.allclose(raw.params.as_array(), grouped.params.as_array(), rtol=1e-5)
    assert raw.log_likelihood == pytest.approx(grouped.log_likelihood, rel=1e-9)
    assert np.array_equal(x[inverse], cdnow["x"].to_numpy())


def test_planted_parameters_are_recovered_within_sampling_error() -> None:
    truth = BgNbdParams(r=0.5, alpha=6.0, a=0.7, b=3.0)
    x, t_x, T = simulate_bgnbd(30_000, truth.r, truth.alpha, truth.a, truth.b, seed=7)
    fit = fit_bgnbd(*group_triples(x, t_x, T)[:4])
    assert fit.converged and fit.std_errors is not None
    for name in ("r", "alpha", "a", "b"):
        est, se, true = getattr(fit.params, name), getattr(fit.std_errors, name), getattr(truth, name)
        assert abs(est - true) < 3 * se, (name, est, se, true)
        assert se < 0.25 * true       # and the data pin it down


def test_expected_counts_match_the_simulated_population() -> None:
    truth = BgNbdParams(r=0.5, alpha=6.0, a=0.7, b=3.0)
    x, _, T = simulate_bgnbd(30_000, truth.r, truth.alpha, truth.a, truth.b, seed=3)
    expected = expected_count_distribution(truth, T, max_x=5)
    actual = np.bincount(np.minimum(x, 5).astype(int), minlength=6)
    assert expected.sum() == pytest.approx(len(x))
    assert np.all(np.abs(expected - actual) < 4 * np.sqrt(expected) + 5)


@settings(max_examples=25, deadline=None)
@given(st.floats(-2, 2), st.floats(-2, 3), st.floats(-2, 2), st.floats(-2, 2))
def test_analytic_gradient_matches_finite_differences(lr, lalpha, la, lb) -> None:
    rng = np.random.default_rng(1)
    T = rng.uniform(1, 60, 50)
    x = rng.integers(0, 12, 50).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, 50), 0.0)
    theta = np.array([lr, lalpha, la, lb])
    _, grad = _terms(theta, x, t_x, T, True)
    for i in range(4):
        e = np.zeros(4)
        e[i] = 1e-6
        num = (_terms(theta + e, x, t_x, T, False)[0] - _terms(theta - e, x, t_x, T, False)[0]).sum() / 2e-6
        assert grad[i].sum() == pytest.approx(num, rel=1e-4, abs=1e-4)


def test_predictions_behave() -> None:
    p = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    # Nobody with zero repeats can have died; the longer a buyer has been silent, the less alive.
    assert p_alive(p, np.array([0.0]), np.array([0.0]), np.array([30.0]))[0] == 1.0
    alive = p_alive(p, np.full(3, 5.0), np.array([35.0, 20.0, 5.0]), np.full(3, 38.0))
    assert np.all(np.diff(alive) < 0)
    grows = expected_purchases(p, np.array([10.0, 20.0, 40.0]), np.full(3, 3.0), np.full(3, 30.0), np.full(3, 35.0))
    assert np.all(np.diff(grows) > 0)
    assert log_likelihood(p, [0, 2], [0, 30.43], [38.86, 38.86]) < 0


@pytest.mark.parametrize(("x", "t_x", "T", "reason"), [
    ([], [], [], "no_customers"),
    ([0, 0, 0], [0, 0, 0], [5, 6, 7], "no_repeaters"),
    ([1, 0], [8, 0], [5, 6], "bad_summary"),          # last purchase after the end
    ([0, 0], [1, 0], [5, 6], "bad_summary"),          # t_x without a repeat
])
def test_degenerate_inputs_get_a_clear_reason(x, t_x, T, reason) -> None:
    with pytest.raises(ModelFitError) as err:
        fit_bgnbd(np.array(x, float), np.array(t_x, float), np.array(T, float))
    assert err.value.params["reason"] == reason


@settings(max_examples=25, deadline=None)
@given(st.floats(-2, 2), st.floats(-2, 3), st.floats(-2, 2), st.floats(-2, 2), st.integers(0, 10_000))
def test_the_fast_objective_equals_the_row_by_row_likelihood(lr, lalpha, la, lb, seed) -> None:
    from crm_core.value import bgnbd
    rng = np.random.default_rng(seed)
    T = np.round(rng.uniform(0, 60, 80), 1)
    x = rng.integers(0, 6, 80).astype(float)
    t_x = np.where(x > 0, np.round(T * rng.uniform(0, 1, 80), 1), 0.0)
    w = rng.integers(1, 5, 80).astype(float)
    theta = np.array([lr, lalpha, la, lb])
    ll, grad = _terms(theta, x, t_x, T, True)
    for parallel_from in (10**9, 10):      # one pass, and chunks on worker threads
        old, bgnbd._PARALLEL_ROWS = bgnbd._PARALLEL_ROWS, parallel_from
        try:
            fast_ll, fast_grad = _Objective(x, t_x, T, w)(theta)
        finally:
            bgnbd._PARALLEL_ROWS = old
        assert fast_ll == pytest.approx(float(ll @ w), rel=1e-10, abs=1e-8)
        assert np.allclose(fast_grad, grad @ w, rtol=1e-8, atol=1e-8)


def test_large_fits_take_the_sample_path_to_the_same_optimum() -> None:
    from crm_core.value import bgnbd

    x, t_x, T = simulate_bgnbd(6_000, 0.5, 6.0, 0.7, 3.0, seed=9)
    direct = fit_bgnbd(x, t_x, T)                       # L-BFGS-B from the default start
    old, bgnbd.WARM_START_ROWS = bgnbd.WARM_START_ROWS, 1_500
    try:
        staged = fit_bgnbd(x, t_x, T)                   # sample fit, then Newton on all rows
    finally:
        bgnbd.WARM_START_ROWS = old
    assert staged.message == "Newton steps converged" and staged.converged
    assert np.allclose(staged.params.as_array(), direct.params.as_array(), rtol=1e-5)
    assert staged.log_likelihood == pytest.approx(direct.log_likelihood, abs=1e-6)
