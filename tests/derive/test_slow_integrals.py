"""Cauchy's symbolic Fisher information and KL are fast and right: the Fisher information
is integrated in the standard variable z = (x - mu)/sigma; the KL is a published closed
form that derive checks by quadrature (and so do these tests, independently)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import integrate, stats

import mlekit as mk
from mlekit.derive import derive, symbolic_kl
from mlekit.errors import DerivationError


def test_cauchy_fisher_information_is_one_over_two_sigma_squared():
    import sympy as sp

    d = derive("cauchy", wrt=("mu", "sigma"))
    t0 = time.process_time()
    M = d.fisher_information()
    assert time.process_time() - t0 < 10  # was: DerivationError after 15 s of CPU time
    s = d.param_symbols["sigma"]
    assert sp.simplify(M - sp.Matrix([[1 / (2 * s**2), 0], [0, 1 / (2 * s**2)]])) == sp.zeros(2)
    assert d.fisher_method == "symbolic integral (standardised)"
    # independent check: E[score score^T] by quadrature with scipy's Cauchy
    mu, sigma = -1.0, 0.7
    dist = stats.cauchy(mu, sigma)

    def score(t):
        r = t - mu
        return np.array([2 * r / (sigma**2 + r**2), -1 / sigma + 2 * r**2 / (sigma * (sigma**2
                                                                                     + r**2))])

    for a in range(2):
        for b in range(2):
            v, _ = integrate.quad(lambda t, a=a, b=b: score(t)[a] * score(t)[b] * dist.pdf(t),
                                  -np.inf, np.inf, limit=400)
            want = float(M[a, b].subs(s, sigma))
            assert v == pytest.approx(want, rel=1e-8, abs=1e-10)
    np.testing.assert_allclose(mk.Cauchy.fisher_information(mu, sigma),
                               np.asarray(M.subs(s, sigma), float), rtol=1e-12)


@pytest.mark.parametrize("p, q", [((0.0, 1.0), (0.0, 1.0)), ((-1.0, 0.7), (2.0, 3.0)),
                                  ((3.0, 0.2), (-1.0, 0.5)), ((0.5, 4.0), (0.4, 0.1))])
def test_cauchy_symbolic_kl_matches_quadrature_and_registry(p, q):
    k = symbolic_kl("cauchy")
    assert k.method == "known closed form (checked by quadrature)"
    got = float(k.evaluate({"mu": p[0], "sigma": p[1]}, {"mu": q[0], "sigma": q[1]}))
    P, Q = stats.cauchy(*p), stats.cauchy(*q)
    want, _ = integrate.quad(lambda t: P.pdf(t) * (P.logpdf(t) - Q.logpdf(t)), -np.inf, np.inf,
                             limit=400, epsabs=1e-13)
    assert got == pytest.approx(want, rel=1e-8, abs=1e-12)
    assert got >= 0 and (got == 0) == (p == q)
    reg = mk.kl(mk.Cauchy(mu=p[0], sigma=p[1]), mk.Cauchy(mu=q[0], sigma=q[1]))
    assert float(getattr(reg, "value", reg)) == pytest.approx(got, rel=1e-8, abs=1e-12)


def test_a_wrong_known_form_is_refused(monkeypatch):
    import sympy as sp

    from mlekit.derive import _known

    monkeypatch.setitem(_known.KNOWN_KL, "cauchy",
                        lambda a, b: sp.log(((a["sigma"] + b["sigma"]) ** 2)
                                            / (4 * a["sigma"] * b["sigma"])))
    with pytest.raises(DerivationError, match="quadrature"):
        symbolic_kl("cauchy")


# the CPU-time limit itself: test_fisher_all.test_time_limit_then_the_known_form
