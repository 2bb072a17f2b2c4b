r"""What a Domain declares for the generic optimiser: its bijection with the reals, the
analytic Jacobian dθ/du, its edges and its default regression link.

Every number is held against an independent computation: the Jacobian against central
differences of ``from_unconstrained`` (and the closed forms of the table in
``estimate/_transform.py``), the link against ``mlekit.links`` (its inverse must map the
real line into the domain, and invert ``to_unconstrained`` where it is the same map).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from mlekit import domains as D
from mlekit.errors import NotImplementedForFamily
from mlekit.links import get_link

HALF_OPEN = D.Interval(name="Interval[-1, 3)", rule="-1 <= value < 3", low=-1.0, high=3.0,
                       closed=(True, False))
ABOVE2 = D.GreaterThan(name="GreaterThan(2)", rule="value > 2", lower=2.0, closed=False)

ELEMENTWISE = {
    "Real": D.Real, "Positive": D.Positive, "NonNegative": D.NonNegative,
    "UnitInterval": D.UnitInterval, "ClosedUnitInterval": D.ClosedUnitInterval,
    "Interval[-1,3)": HALF_OPEN, "GreaterThan(2)": ABOVE2,
}
NO_BIJECTION = {"Binary": D.Binary, "Counts": D.Counts, "Categories(3)": D.Categories(3),
                "BoundedCounts": D.BoundedCounts(5), "PositiveDefinite": D.PositiveDefinite}

U = np.linspace(-4.0, 4.0, 17)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_dtheta_du_matches_central_differences(name):
    dom = ELEMENTWISE[name]
    h = 1e-6
    theta = dom.from_unconstrained(U)
    fd = (dom.from_unconstrained(U + h) - dom.from_unconstrained(U - h)) / (2 * h)
    np.testing.assert_allclose(dom.dtheta_du(theta), fd, rtol=1e-7, atol=1e-12)
    # the dense Jacobian of an elementwise domain is its diagonal
    np.testing.assert_allclose(dom.jacobian(theta), np.diag(dom.dtheta_du(theta)), rtol=0)
    assert dom.unconstrained_size((3, 2)) == 6


@pytest.mark.parametrize(("dom", "theta", "expected"), [
    (D.Real, np.array([-2.0, 5.0]), np.array([1.0, 1.0])),
    (D.Positive, np.array([0.5, 4.0]), np.array([0.5, 4.0])),                    # θ
    (D.NonNegative, np.array([3.0]), np.array([3.0])),
    (ABOVE2, np.array([2.5, 7.0]), np.array([0.5, 5.0])),                       # θ − l
    (HALF_OPEN, np.array([0.0, 2.0]), np.array([1 * 3 / 4, 3 * 1 / 4])),         # (θ−a)(b−θ)/(b−a)
    (D.UnitInterval, np.array([0.2]), np.array([0.2 * 0.8])),                   # p(1 − p)
], ids=["real", "positive", "nonnegative", "greaterthan", "interval", "unit"])
def test_dtheta_du_closed_forms(dom, theta, expected):
    np.testing.assert_allclose(dom.dtheta_du(theta), expected, rtol=1e-15)


def test_positive_dtheta_du_is_a_copy():
    theta = np.array([1.0, 2.0])
    out = D.Positive.dtheta_du(theta)
    out[0] = 99.0
    assert theta[0] == 1.0


def test_simplex_jacobian_matches_central_differences():
    u = np.array([0.3, -1.2, 2.0])
    p = D.Simplex.from_unconstrained(u)
    h = 1e-6
    fd = np.column_stack([(D.Simplex.from_unconstrained(u + h * e)
                           - D.Simplex.from_unconstrained(u - h * e)) / (2 * h)
                          for e in np.eye(3)])
    jac = D.Simplex.jacobian(p)
    assert jac.shape == (4, 3)
    np.testing.assert_allclose(jac, fd, rtol=1e-7, atol=1e-12)
    assert D.Simplex.unconstrained_size((4,)) == 3
    assert D.Simplex.event_ndim == 1
    with pytest.raises(NotImplementedForFamily, match="Simplex is not elementwise"):
        D.Simplex.dtheta_du(p)


@pytest.mark.parametrize(("dom", "edges"), [
    (D.Real, (-np.inf, np.inf)), (D.Positive, (0.0, np.inf)), (D.NonNegative, (0.0, np.inf)),
    (D.UnitInterval, (0.0, 1.0)), (D.ClosedUnitInterval, (0.0, 1.0)), (HALF_OPEN, (-1.0, 3.0)),
    (ABOVE2, (2.0, np.inf)), (D.GreaterThan(lower=np.array([1.0, 4.0])), (4.0, np.inf)),
    (D.Simplex, (0.0, 1.0)), (D.Counts, (0.0, np.inf)), (D.Categories(3), (0.0, 2.0)),
    (D.BoundedCounts(np.array([3, 7])), (0.0, 7.0)),
], ids=lambda v: getattr(v, "name", None) or str(v))
def test_edges(dom, edges):
    assert dom.edges == edges
    # the bijection never reaches an edge: from_unconstrained of large |u| tends to it
    per_element = np.ndim(getattr(dom, "lower", 0.0)) > 0  # edges summarise the bounds
    if dom.has_bijection and not dom.event_ndim and not per_element:
        far = dom.from_unconstrained(np.array([-30.0, 30.0]))
        lo, hi = edges
        assert far[0] >= lo and far[1] <= hi
        assert abs(far[0] - lo) < 1e-9 * max(1.0, abs(lo)) or lo == -np.inf
        assert np.isinf(hi) or abs(far[1] - hi) < 1e-9 * max(1.0, abs(hi))


@pytest.mark.parametrize(("dom", "link"), [
    (D.Real, "identity"), (D.Positive, "log"), (D.NonNegative, "log"),
    (D.UnitInterval, "logit"), (D.ClosedUnitInterval, "logit"), (HALF_OPEN, None),
    (ABOVE2, None), (D.Simplex, None), (D.Binary, None), (D.Counts, None),
    (D.Categories(4), None), (D.PositiveDefinite, None),
    (D.Interval(name="I", low=0.0, high=2.0), None),
], ids=lambda v: getattr(v, "name", None) or str(v))
def test_default_link(dom, link):
    assert dom.default_link == link


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if ELEMENTWISE[n].default_link])
def test_default_link_maps_the_real_line_into_the_domain(name):
    dom = ELEMENTWISE[name]
    link = get_link(dom.default_link)
    eta = np.linspace(-30.0, 30.0, 61)
    mu = link.inverse(eta)
    assert np.all(dom.contains(mu))
    # identity/log/logit are the domains' own bijections: the same map both ways
    theta = dom.from_unconstrained(np.linspace(-5.0, 5.0, 11))
    np.testing.assert_allclose(link.link(theta), dom.to_unconstrained(theta),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NO_BIJECTION)
def test_domain_without_bijection_raises_naming_it(name):
    dom = NO_BIJECTION[name]
    assert not dom.has_bijection and dom.bijection is None and dom.default_link is None
    for call in (lambda: dom.to_unconstrained(np.ones(2)),
                 lambda: dom.from_unconstrained(np.zeros(2)),
                 lambda: dom.dtheta_du(np.ones(2)),
                 lambda: dom.unconstrained_size((2,))):
        pattern = rf"domain {re.escape(dom.name)} .*no bijection"
        with pytest.raises(NotImplementedForFamily, match=pattern):
            call()


def test_bijection_names_declared():
    assert {n: d.bijection for n, d in ELEMENTWISE.items()} == {
        "Real": "identity", "Positive": "exp", "NonNegative": "exp",
        "UnitInterval": "scaled expit", "ClosedUnitInterval": "scaled expit",
        "Interval[-1,3)": "scaled expit", "GreaterThan(2)": "lower + exp"}
    assert D.Simplex.bijection == "softmax"
