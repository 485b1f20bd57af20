"""training/dp_accounting.py against the verified vectors of ../shared/reference/dp.md (sections 1.4, 2, 3, 8)."""
import math

import pytest

from training.dp_accounting import (calibrate_sigma, delta_for_epsilon, dpsgd_sigma, epsilon_for_delta,
                                    epsilon_from_rho, mu_total, release_sigmas, rho_for_epsilon, rho_gaussian)

# (sigma, k, exact eps at delta = 1e-5)  -- dp.md section 8
EXACT = [(0.5, 1, 9.99725614643), (1, 1, 4.37717809568), (1, 10, 17.8565868301), (2, 1, 1.99309140442),
         (2, 10, 7.51127590074), (5, 1, 0.725521750858), (5, 10, 2.59438338053), (5, 100, 9.99725614643),
         (10, 1, 0.340669364684), (10, 10, 1.19936957375), (10, 100, 4.37717809568), (20, 1000, 7.51127590074)]


@pytest.mark.parametrize("sigma,k,eps", EXACT)
def test_exact_epsilon_vectors(sigma, k, eps):
    got = epsilon_for_delta(1e-5, mu_total([sigma] * k))
    assert got == pytest.approx(eps, rel=1e-9)
    assert got >= eps * (1 - 1e-11)  # rounded up


def test_extremes_and_delta_vectors():
    assert epsilon_for_delta(1e-5, 1 / 100) == pytest.approx(0.0272194198146, rel=1e-8)
    assert epsilon_for_delta(1e-5, 1 / 1000) == pytest.approx(0.00193872496986, rel=1e-7)
    assert epsilon_for_delta(1e-10, 1 / 0.1) == pytest.approx(112.840326704, rel=1e-9)
    assert epsilon_for_delta(1e-10, 1 / 0.5) == pytest.approx(14.2740896451, rel=1e-9)
    for sigma, eps, want in [(1, 0, 0.382924922548), (1, 1, 0.126936737507), (1, 2, 0.0209236358211),
                             (2, 1, 0.00682959498311), (0.5, 0, 0.6826894921370859), (10, 0.1, 0.008751768145810)]:
        assert delta_for_epsilon(eps, 1 / sigma) == pytest.approx(want, rel=1e-10)
    assert delta_for_epsilon(1, mu_total([5] * 10)) == pytest.approx(0.0244210262453, rel=1e-10)
    assert delta_for_epsilon(math.log(3), 5 / 10) == pytest.approx(0.004159742234000802, rel=1e-10)


@pytest.mark.parametrize("eps,sigma", [(0.5, 7.031827), (1, 3.730632), (2, 1.993812), (4, 1.081162),
                                       (8, 0.600229)])
def test_analytic_calibration_table(eps, sigma):
    got = calibrate_sigma(eps, 1e-5)
    assert got == pytest.approx(sigma, abs=1e-6)
    assert epsilon_for_delta(1e-5, 1 / got) <= eps * (1 + 1e-12)


def test_k_release_calibration_and_dpsgd():
    for k, want in [(1, 3.730632), (2, 5.275910), (3, 6.461644), (5, 8.341946), (10, 11.797293)]:
        assert dpsgd_sigma(1.0, 1e-5, k) == pytest.approx(want, abs=2e-6)


def test_zcdp_conversion_vectors():
    # dp.md section 3: improved conversion (continuous alpha) at rho = 0.005 -> 0.375261
    assert epsilon_from_rho(0.005, 1e-5) == pytest.approx(0.375261, abs=1e-6)
    # sigma = 1, k = 1 is rho = 0.5; Google's RDP accountant (order grid) gives 4.728507 >= continuous optimum
    assert epsilon_from_rho(rho_gaussian(1.0), 1e-5) <= 4.728507
    assert epsilon_from_rho(rho_gaussian(1.0), 1e-5) == pytest.approx(4.7285, abs=2e-3)
    for eps in (0.5, 1, 4, 16):
        rho = rho_for_epsilon(eps, 1e-5)
        assert epsilon_from_rho(rho, 1e-5) <= eps
        assert epsilon_from_rho(rho * (1 + 1e-9), 1e-5) > eps * (1 - 1e-12)


def test_release_sigmas_split():
    ss, sc = release_sigmas(1.0, 1e-5, 2.0, count_share=0.1)
    rho = rho_for_epsilon(1.0, 1e-5)
    assert rho_gaussian(ss, 2.0) + rho_gaussian(sc, 1.0) == pytest.approx(rho, rel=1e-12)
    assert rho_gaussian(sc, 1.0) == pytest.approx(0.1 * rho, rel=1e-12)
