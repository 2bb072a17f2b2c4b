r"""estimate/ asks a Domain what it declares; it never switches on the domain's type.

Issue #20 (item 5): the Jacobian, the edges and the centre of a parameter's domain come
from the ``Domain`` object (``has_bijection``, ``event_ndim``, ``edges``,
``dtheta_du``/``jacobian``, ``from_unconstrained``), not from a lookup keyed on its name.

Two kinds of test:

* a static scan of ``src/mlekit/estimate`` that fails if a type switch comes back: the old
  ``_kind`` helper, a domain's ``bijection`` name read at all, a ``.name``/``.rule``
  compared with a string literal, ``isinstance``/``issubclass``/``is`` against a class or
  singleton imported from ``mlekit.domains``. The scanner is itself checked on the old
  code it replaced, so it can fail;
* a NEW domain defined here — the half-line :math:`(a, \infty)` with its own bijection
  :math:`\theta = a + \log(1 + e^u)` (softplus, a name estimate/ has never heard of) —
  used by the transform machinery and by ``mk.fit`` of a typed-density family, with the
  numbers held against closed forms and central differences.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from scipy import optimize, stats

import mlekit as mk
import mlekit.estimate as estimate_pkg
from mlekit.domains import Domain
from mlekit.estimate import _transform
from mlekit.estimate._generic import _default
from mlekit.estimate._transform import FreeParam, Packer, domain_centre

ESTIMATE_DIR = Path(estimate_pkg.__file__).parent

# ----------------------------------------------------------------------- the static scan
_DOMAIN_MODULES = {"domains", "mlekit.domains"}
_NAME_ATTRS = {"name", "rule", "bijection"}


def _is_str_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts) and all(_is_str_literal(e) for e in node.elts)
    return False


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
           {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def domain_switches(source: str, where: str = "<src>") -> list[str]:
    """Every place in ``source`` that switches on a domain's type or name."""
    tree = ast.parse(source)
    found: list[str] = []
    from_domains: set[str] = set()
    for node in ast.walk(tree):  # names bound to mlekit.domains or to what it defines
        if isinstance(node, ast.ImportFrom) and node.module in _DOMAIN_MODULES:
            from_domains |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module in (None, "mlekit"):
            from_domains |= {a.asname or a.name for a in node.names if a.name == "domains"}
    for node in ast.walk(tree):
        line = f"{where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.FunctionDef) and node.name == "_kind":
            found.append(f"{line}: defines _kind")
        elif isinstance(node, ast.Name) and node.id in {"_kind", "_LEGACY_KIND"}:
            found.append(f"{line}: uses {node.id}")
        elif isinstance(node, ast.alias) and node.name in {"_kind", "_LEGACY_KIND"}:
            found.append(f"{line}: imports {node.name}")
        elif isinstance(node, ast.Attribute) and node.attr == "bijection":
            found.append(f"{line}: reads .bijection (a display name; ask has_bijection, "
                         "edges, event_ndim or the bijection's methods)")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            attrs = [s for s in sides if isinstance(s, ast.Attribute) and s.attr in _NAME_ATTRS]
            if attrs and any(_is_str_literal(s) for s in sides):
                found.append(f"{line}: compares .{attrs[0].attr} with a string literal")
            if any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops) and \
                    any(isinstance(s, ast.Name) and s.id in from_domains for s in sides):
                found.append(f"{line}: identity test against a mlekit.domains object")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in {"isinstance", "issubclass"} and len(node.args) == 2 and \
                _names_in(node.args[1]) & from_domains:
            found.append(f"{line}: {node.func.id} against a mlekit.domains class")
    return found


def test_estimate_has_no_domain_type_switch():
    found = []
    for path in sorted(ESTIMATE_DIR.rglob("*.py")):
        found += domain_switches(path.read_text(encoding="utf-8"), path.name)
    assert not found, "domain type switch in estimate/:\n" + "\n".join(found)
    assert not hasattr(_transform, "_kind") and not hasattr(_transform, "_LEGACY_KIND")


OLD_CODE = '''
from ..domains import GreaterThan, Real, Simplex
from .. import domains as D
_LEGACY_KIND = {"identity": "real", "exp": "exp"}
def _kind(domain):
    return _LEGACY_KIND.get(domain.bijection)
def edge(domain):
    if domain.name == "Positive":
        return 0.0
    if domain.bijection in ("exp", "lower + exp"):
        return 0.0
    if isinstance(domain, GreaterThan):
        return domain.lower
    if isinstance(domain, (Real, Simplex)) or domain is Real:
        return None
    if issubclass(type(domain), D.Interval):
        return 1.0
    return _kind(domain) != "real"
'''


def test_the_scan_catches_the_old_switches():
    found = domain_switches(OLD_CODE)
    text = "\n".join(found)
    for what in ("defines _kind", "uses _LEGACY_KIND", "uses _kind", "reads .bijection",
                 "compares .name with a string literal",
                 "compares .bijection with a string literal",
                 "isinstance against a mlekit.domains class",
                 "issubclass against a mlekit.domains class",
                 "identity test against a mlekit.domains object"):
        assert what in text, what
    # and what it must allow: declared attributes, parameter names compared with names
    assert domain_switches(
        "def f(fp, family, domain):\n"
        "    if domain.has_bijection and domain.event_ndim and fp.name != family.mean:\n"
        "        return domain.edges\n") == []


# ------------------------------------------------------ a new domain, unknown to estimate/
@dataclass(frozen=True, repr=False)
class AboveSoftplus(Domain):
    r"""The half-line :math:`(a, \infty)` with :math:`\theta = a + \log(1 + e^u)`,
    :math:`u = \log(e^{\theta - a} - 1)`, :math:`d\theta/du = \sigma(u) = 1 - e^{-(\theta - a)}`."""

    lower: float = 0.0

    bijection: ClassVar[str | None] = "lower + softplus"  # a name no lookup knows

    def contains(self, x):
        return x > self.lower

    def to_unconstrained(self, x):
        d = np.asarray(x, dtype=float) - self.lower
        return d + np.log(-np.expm1(-d))  # log(expm1(d)) without overflow

    def from_unconstrained(self, u):
        return self.lower + np.logaddexp(0.0, np.asarray(u, dtype=float))

    def dtheta_du(self, theta):
        return -np.expm1(-(np.asarray(theta, dtype=float) - self.lower))

    @property
    def edges(self) -> tuple[float, float]:
        return (float(self.lower), np.inf)


A = 0.5
ABOVE = AboveSoftplus(name=f"AboveSoftplus({A:g})", rule=f"value > {A:g}",
                      sympy_assumptions={"positive": True}, lower=A)


def test_new_domain_in_the_transform_machinery():
    packer = Packer([FreeParam("mu", mk.domains.Real, ()), FreeParam("s", ABOVE, (3,))])
    u = np.array([0.3, -2.0, 0.0, 4.0])
    theta = packer.theta(u)
    # θ = a + softplus(u), written independently
    np.testing.assert_allclose(theta["s"], A + np.log1p(np.exp(u[1:])), rtol=1e-15)
    np.testing.assert_allclose(packer.u(theta), u, rtol=1e-12, atol=1e-13)
    assert packer.in_domain(theta)
    assert not packer.in_domain({"mu": np.asarray(0.0), "s": np.array([A, 1.0, 2.0])})
    # the analytic Jacobian against central differences of θ(u)
    h = 1e-6
    fd = np.column_stack([
        (packer.flat(packer.theta(u + h * e)) - packer.flat(packer.theta(u - h * e))) / (2 * h)
        for e in np.eye(u.size)])
    np.testing.assert_allclose(packer.jacobian(theta), fd, rtol=1e-8, atol=1e-12)
    # the centre is g(0) = a + log 2
    np.testing.assert_allclose(domain_centre(ABOVE, (2,)), A + np.log(2.0), rtol=1e-15)


def test_new_domain_start_values_come_from_its_edges():
    fp = FreeParam("s", ABOVE, ())
    family = mk.get_family("normal")
    cands = [float(c) for c in _default(fp, family, mean=3.0, sd=2.0, median=2.5, lo=0.1, hi=9.0)]
    # lower edge a, upper inf: a + s for s in 1, sd, 1/sd, |mean − a|, and 1 (lo < a)
    assert cands == pytest.approx([A + 1.0, A + 2.0, A + 0.5, 3.0, A + 1.0], rel=1e-15)
    # and a domain bounded above only gets the mirror image
    below = _Mirror()
    cands = [float(c) for c in _default(FreeParam("t", below, ()), family,
                                        mean=-3.0, sd=2.0, median=-2.5, lo=-9.0, hi=-4.0)]
    assert cands == pytest.approx([-1.0, -2.0, -0.5, -3.0, -4.0], rel=1e-15)


@dataclass(frozen=True, repr=False)
class _Mirror(Domain):
    """(−inf, 0) with θ = −e^u (only the declared edges matter for the start values)."""

    bijection: ClassVar[str | None] = "minus exp"

    def contains(self, x):
        return x < 0

    @property
    def edges(self) -> tuple[float, float]:
        return (-np.inf, 0.0)


X = np.random.default_rng(20).normal(1.0, 2.0, size=60)
N, M, S = X.size, X.mean(), X.std()
CRIT = stats.chi2.ppf(0.95, 1)


@pytest.fixture(scope="module")
def normal_above():
    """A typed Normal density whose sigma lives in the new domain (a, inf)."""
    return mk.custom_family(
        log_density="-log(sigma) - log(2*pi)/2 - (x - mu)**2 / (2*sigma**2)",
        params={"mu": "real", "sigma": ABOVE}, example_params={"mu": 0.0, "sigma": 1.5},
        name="normal_above")


def test_new_domain_in_fit_of_a_typed_density(normal_above):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mk.fit(X, normal_above)
    assert res.method.startswith("generic") and res.converged
    # closed form: mu = mean, sigma = sd (ddof 0), interior of (a, inf) here
    assert res.params["mu"] == pytest.approx(M, rel=1e-8)
    assert res.params["sigma"] == pytest.approx(S, rel=1e-8)
    assert res.llf == pytest.approx(stats.norm.logpdf(X, M, S).sum(), rel=1e-12)
    # Wald se of sigma: sqrt(S^2 / 2n)
    assert res.bse["sigma"] == pytest.approx(S / np.sqrt(2 * N), rel=1e-5)


def test_new_domain_profile_interval(normal_above):
    # mu held at the sample mean: the profile of sigma alone, walked in the new bijection
    ci = mk.fit(X, normal_above, fixed={"mu": M}).conf_int(method="profile")

    # sigma: profile LR = n (r - 1 - log r), r = S^2 / sigma^2
    def lr(sig):
        r = S**2 / sig**2
        return N * (r - 1 - np.log(r)) - CRIT

    lo = optimize.brentq(lr, S / 10, S, xtol=1e-14)
    hi = optimize.brentq(lr, S, S * 10, xtol=1e-14)
    assert lo > A
    assert ci["sigma"] == pytest.approx((lo, hi), rel=1e-9)
    assert ci["mu"] == (M, M)


def test_new_domain_profile_reaches_its_edge(normal_above):
    # data whose spread is below a: the estimate sits at the edge a, and the profile
    # interval ends there (the lower end is the domain's declared edge)
    x = M + 0.05 * np.random.default_rng(3).standard_normal(30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BoundaryWarning / ConvergenceWarning at the edge
        res = mk.fit(x, normal_above, fixed={"mu": float(x.mean())})
        ci = res.conf_int(method="profile")
    assert res.params["sigma"] == pytest.approx(A, abs=1e-6)
    assert ci["sigma"][0] == pytest.approx(A, abs=1e-6)
    # upper end: 2 [l(a) − l(sigma)] = crit, l from scipy's normal log-density
    def lr(sig):
        ll = stats.norm.logpdf(x, x.mean(), [[A], [sig]]).sum(axis=1)
        return 2.0 * (ll[0] - ll[1]) - CRIT

    hi = optimize.brentq(lr, A, 10.0, xtol=1e-14)
    assert ci["sigma"][1] == pytest.approx(hi, rel=1e-7)


# ------------------------------------------- Domain.bounds: the supports divergence/ reads
def _bounds_from_domain(d):
    """What ``divergence._support.support_bounds`` gives when read from ``Domain.bounds``
    instead of its ``is``/``isinstance`` chain (the change proposed for that file)."""
    try:
        dom = d.family.support_of(**d.params)
    except TypeError:
        dom = d.family.support
    b = dom.bounds
    lo, hi = b if b is not None else (-np.inf, np.inf)
    shape = d.batch_shape
    return (np.broadcast_to(np.asarray(lo, dtype=float), shape),
            np.broadcast_to(np.asarray(hi, dtype=float), shape), b is not None)


def _distributions():
    from mlekit.families import FAMILIES

    fams = {name: fam for name, fam in FAMILIES.items()}
    out = [
        fams["uniform"](low=np.array([0.0, 1.0]), high=np.array([2.0, 5.0])),
        fams["pareto"](alpha=2.0, scale=np.array([1.0, 3.0])),
        fams["binomial"](n=np.array([3.0, 5.0]), p=0.5),
        fams["categorical"](p=np.array([0.2, 0.8])),
        fams["dirichlet"](alpha=np.array([1.0, 2.0, 3.0])),
        fams["multivariatenormal"](mean=np.zeros(2), cov=np.eye(2)),
        mk.custom_family("p**((1 + x)/2) * (1 - p)**((1 - x)/2)", params={"p": "unit"},
                         support="signs", name="signs", check="off")(p=0.3),
        mk.custom_family("b * (x/2)**(b - 1) / 2", params={"b": ABOVE}, support=(0.0, 2.0),
                         name="power", example_params={"b": 4.0}, check="off")(b=4.0),
    ]
    rng = np.random.default_rng(0)
    for name in ("bernoulli", "beta", "cauchy", "exponential", "gamma", "geometric", "gumbel",
                 "halfnormal", "inversegaussian", "laplace", "logistic", "lognormal",
                 "negativebinomial", "normal", "poisson", "rayleigh", "studentt", "weibull"):
        fam = fams[name]
        out.append(fam(**{p.name: p.domain.example(rng, size=(3,)) for p in fam.parameters}))
    return out


def test_domain_bounds_give_the_supports_divergence_reads_today():
    from mlekit.divergence._support import support_bounds

    for d in _distributions():
        lo, hi, known = support_bounds(d)
        lo2, hi2, known2 = _bounds_from_domain(d)
        assert known2 == known, d.family.name
        np.testing.assert_array_equal(lo2, lo, err_msg=d.family.name)
        np.testing.assert_array_equal(hi2, hi, err_msg=d.family.name)


def test_domain_bounds_agree_with_edges():
    from mlekit import domains as D

    for dom in (D.Real, D.Positive, D.NonNegative, D.UnitInterval, D.ClosedUnitInterval,
                D.Binary, D.Counts, D.PositiveIntegers, D.Categories(4), D.BoundedCounts(7),
                D.GreaterThan(lower=np.array([1.0, 3.0]))):
        b = dom.bounds
        if b is None:
            continue
        assert (float(np.max(b[0])), float(np.max(b[1]))) == dom.edges, dom
    assert D.BoundedCounts(np.array([3, 5])).bounds[1].tolist() == [3, 5]
    assert D.Simplex.bounds is None and D.PositiveDefinite.bounds is None
    assert Domain().bounds is None and ABOVE.bounds is None  # not declared: unknown
