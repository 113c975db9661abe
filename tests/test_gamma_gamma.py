"""Gamma-Gamma: published CDNOW result, planted parameters recovered, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from crm_core.errors import ModelFitError
from crm_core.value.gamma_gamma import GammaGammaParams, _Objective, _terms, expected_average_value, fit_gamma_gamma
from tests.clv_data import FH_2013_GAMMA_GAMMA, cdnow_summary, simulate_spend


def test_cdnow_gives_the_published_estimates() -> None:
    s = cdnow_summary()
    fit = fit_gamma_gamma(s["x"], s["m"])
    assert fit.customers == FH_2013_GAMMA_GAMMA["customers"] and fit.excluded == 0 and fit.converged
    for name in ("p", "q", "v"):
        assert getattr(fit.params, name) == pytest.approx(FH_2013_GAMMA_GAMMA[name], abs=0.006), name


def test_planted_parameters_are_recovered_within_sampling_error() -> None:
    truth = GammaGammaParams(p=4.0, q=3.0, v=20.0)
    x = np.random.default_rng(1005).integers(0, 15, 40_000).astype(float)   # own stream, not the spend seed
    m = simulate_spend(x, truth.p, truth.q, truth.v, seed=5)
    fit = fit_gamma_gamma(x, m)
    assert fit.std_errors is not None
    for name in ("p", "q", "v"):
        est, se, true = getattr(fit.params, name), getattr(fit.std_errors, name), getattr(truth, name)
        assert abs(est - true) < 3 * se, (name, est, se, true)


def test_expected_value_shrinks_towards_the_population_mean() -> None:
    params = GammaGammaParams(6.25, 3.74, 15.44)
    mean = params.population_mean
    assert mean == pytest.approx(6.25 * 15.44 / 2.74)
    few, many = expected_average_value(params, np.array([1.0, 20.0]), np.array([100.0, 100.0]))
    assert mean < few < many < 100
    # No repeats, or a non-positive average from returns: the population mean.
    assert np.allclose(expected_average_value(params, np.array([0.0, 3.0]), np.array([np.nan, -5.0])), mean)


def test_customers_with_negative_averages_are_excluded_and_counted() -> None:
    s = cdnow_summary()
    m = s["m"].to_numpy().copy()
    m[np.flatnonzero(s["x"].to_numpy() > 0)[:5]] = -10.0
    fit = fit_gamma_gamma(s["x"], m)
    assert fit.excluded == 5 and fit.customers == FH_2013_GAMMA_GAMMA["customers"] - 5


@pytest.mark.parametrize(("x", "m", "reason"), [
    ([0.0] * 30, [np.nan] * 30, "too_few_repeaters"),
    ([1.0] * 3, [5.0, 6.0, 7.0], "too_few_repeaters"),
    ([2.0] * 30, [10.0] * 30, "no_variation"),
    ([2.0] * 30, [-1.0] * 30, "too_few_repeaters"),
])
def test_degenerate_inputs_get_a_clear_reason(x, m, reason) -> None:
    with pytest.raises(ModelFitError) as err:
        fit_gamma_gamma(np.array(x), np.array(m))
    assert err.value.params["reason"] == reason


def test_the_fast_objective_equals_the_row_by_row_likelihood() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(1, 9, 300).astype(float)
    m = rng.gamma(2.0, 20.0, 300)
    for theta in (np.log([6.25, 3.74, 15.44]), np.array([-1.0, 2.0, 0.5]), np.array([1.5, -0.5, 4.0])):
        ll, grad = _terms(theta, x, m, True)
        fast_ll, fast_grad = _Objective(x, m)(theta)
        assert fast_ll == pytest.approx(float(ll.sum()), rel=1e-10)
        assert np.allclose(fast_grad, grad.sum(axis=1), rtol=1e-8)


def test_large_fits_take_the_sample_path_to_the_same_optimum() -> None:
    from crm_core.value import gamma_gamma as gg

    x = np.random.default_rng(1006).integers(1, 15, 8_000).astype(float)
    m = simulate_spend(x, 4.0, 3.0, 20.0, seed=6)
    direct = fit_gamma_gamma(x, m)
    old, gg.WARM_START_ROWS = gg.WARM_START_ROWS, 2_000
    try:
        staged = fit_gamma_gamma(x, m)
    finally:
        gg.WARM_START_ROWS = old
    assert staged.message == "Newton steps converged" and staged.converged
    assert np.allclose(staged.params.as_array(), direct.params.as_array(), rtol=1e-5)


def test_a_stalled_line_search_at_a_flat_gradient_is_convergence_and_elsewhere_is_not() -> None:
    """The CDNOW fit through the database stalled at gradient 2.2e-8 (L-BFGS-B wants 1e-8) with the
    published parameters; that is the optimum. A stall at a real slope is still a failure."""
    import numpy as np

    from crm_core.value.mle import FLAT_GRAD, settled

    assert settled(False, "ABNORMAL: ", np.array([2.2e-8, -1e-9, 0.0]))[0] is True
    assert settled(False, "ABNORMAL: ", np.array([10 * FLAT_GRAD, 0.0, 0.0])) == (False, "ABNORMAL: ")
    assert settled(False, "ABNORMAL: ", np.array([np.nan, 0.0, 0.0]))[0] is False
    assert settled(False, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", np.zeros(3))[0] is False
    assert settled(True, "CONVERGENCE", None) == (True, "CONVERGENCE")
