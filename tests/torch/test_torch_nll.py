"""mlekit.torch.NLLLoss and log_prob: every registered family, both paths, exact heads, API."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mlekit as mk  # noqa: E402
import mlekit.torch as mkt  # noqa: E402
from mlekit.errors import (  # noqa: E402
    DataError,
    NotImplementedForFamily,
    ParameterError,
    SupportError,
    UnknownNameError,
)
from mlekit.families import FAMILIES  # noqa: E402
from mlekit.torch._links import HeadValue  # noqa: E402

SCALAR = sorted(n for n, f in FAMILIES.items()
                if not any(p.event_ndim for p in f.parameters) and f.example_params
                and f.has_symbolic_density)
# families the torch closed forms cover (when registered with these parameter names)
EXPECT_CLOSED = {"normal", "bernoulli", "categorical", "poisson", "gamma", "exponential",
                 "lognormal", "laplace", "studentt", "beta", "binomial", "halfnormal",
                 "cauchy", "logistic", "weibull", "gumbel", "negativebinomial", "geometric"}


def _member(name):
    fam = FAMILIES[name]
    dist = fam(**fam.example_params)
    x = np.asarray(dist.sample(12, rng=np.random.default_rng(3)), float)
    return fam, dist, x


def _P(dist):
    return {k: torch.as_tensor(np.asarray(v, float)).clone().requires_grad_(True)
            for k, v in dist.params.items()}


@pytest.mark.parametrize("name", sorted(set(FAMILIES) & EXPECT_CLOSED))
def test_closed_form_is_used(name):
    assert mkt.closed_form_for(FAMILIES[name]) is not None, name


@pytest.mark.parametrize("method", ["auto", "symbolic"])
@pytest.mark.parametrize("name", SCALAR)
def test_log_prob_matches_numpy_and_score(name, method):
    fam, dist, x = _member(name)
    params = _P(dist)
    lp = mkt.log_prob(fam, torch.as_tensor(x), params, method=method)
    np.testing.assert_allclose(lp.detach().numpy(), dist.logpdf(x), rtol=1e-9, atol=1e-12)
    grads = torch.autograd.grad(lp.sum(), [params[n] for n in fam.estimable_names])
    score = fam.score(x, **dist.params)
    for n, g in zip(fam.estimable_names, grads, strict=True):
        np.testing.assert_allclose(g.numpy(), np.sum(score[n]), rtol=1e-7, atol=1e-9,
                                   err_msg=f"{name}.{n}")


def test_categorical_log_prob_and_logits():
    p = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], dtype=torch.float64)
    y = torch.tensor([2, 0])
    lp = mkt.log_prob("categorical", y, {"p": p})
    np.testing.assert_allclose(lp.numpy(), np.log([0.5, 0.6]))
    lp2 = mkt.log_prob("categorical", y, {"logits": torch.log(p)})
    np.testing.assert_allclose(lp2.numpy(), np.log([0.5, 0.6]))


@pytest.mark.parametrize("method", ["closed form", "symbolic"])
def test_bernoulli_logits_pm1000_exact(method):
    eta = torch.tensor([1000.0, -1000.0, 1000.0, -1000.0], dtype=torch.float64,
                       requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    loss = mkt.NLLLoss("bernoulli", heads={"p": "logit"}, reduction="none", method=method)
    v = loss(eta, y)
    np.testing.assert_allclose(v.detach().numpy(), [0.0, 0.0, 1000.0, 1000.0], atol=1e-12)
    (g,) = torch.autograd.grad(v.sum(), eta)
    np.testing.assert_allclose(g.numpy(), [0.0, 0.0, 1.0, -1.0], atol=1e-12)
    assert loss.method_used == method


@pytest.mark.skipif("binomial" not in FAMILIES, reason="binomial not registered")
def test_binomial_logits_exact():
    loss = mkt.NLLLoss("binomial", heads={"p": "logit"}, fixed={"n": 5}, reduction="none")
    eta = torch.tensor([1000.0, -1000.0], dtype=torch.float64)
    v = loss(eta, torch.tensor([5.0, 5.0], dtype=torch.float64))
    np.testing.assert_allclose(v.numpy(), [0.0, 5000.0], atol=1e-9)


@pytest.mark.parametrize("head", ["identity", "log", "logit", "probit", "cloglog", "inverse",
                                  "inverse_squared", "sqrt", "softplus"])
def test_heads_match_numpy_links(head):
    eta = torch.linspace(0.1, 3.0, 7, dtype=torch.float64)
    got = mkt.inverse_link(head, eta).numpy()
    if head == "softplus":
        ref = np.log1p(np.exp(eta.numpy()))
    else:
        ref = mk.get_link(head).inverse(eta.numpy())
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    hv = HeadValue(eta=eta, head=head)
    np.testing.assert_allclose(hv.log().numpy(), np.log(ref), rtol=1e-12)
    if hv._fn[2] is not None:  # (numpy's log1p(-ref) loses digits as ref -> 1: loose)
        np.testing.assert_allclose(hv.log1m().numpy(), np.log1p(-ref), rtol=1e-7)


def test_head_logs_exact_in_tails():
    eta = torch.tensor([-1000.0, -40.0, 40.0], dtype=torch.float64)
    np.testing.assert_allclose(HeadValue(eta=eta, head="softplus").log().numpy(),
                               [-1000.0, -40.0, np.log(40.0)], rtol=1e-12)
    from scipy.special import log_ndtr

    np.testing.assert_allclose(HeadValue(eta=eta, head="probit").log().numpy(),
                               log_ndtr(eta.numpy()), rtol=1e-12)
    np.testing.assert_allclose(HeadValue(eta=eta, head="cloglog").log1m().numpy(),
                               -np.exp(eta.numpy()))


def test_default_heads_and_repr():
    loss = mkt.NLLLoss("normal")
    assert loss.heads == {"mu": "identity", "sigma": "log"}
    assert "method=closed form" in repr(loss)
    assert mkt.NLLLoss("bernoulli").heads == {"p": "logit"}
    assert mkt.NLLLoss("categorical").heads == {"p": "softmax"}


def test_errors_name_what_is_wrong():
    with pytest.raises(UnknownNameError, match="did you mean 'logit'"):
        mkt.NLLLoss("bernoulli", heads={"p": "logitt"})
    with pytest.raises(UnknownNameError, match="family"):
        mkt.NLLLoss("normall")
    with pytest.raises(ParameterError, match="no parameter 'tau'"):
        mkt.NLLLoss("normal", heads={"tau": "log"})
    with pytest.raises(ParameterError, match="both fixed and predicted"):
        mkt.NLLLoss("normal", heads={"sigma": "log"}, fixed={"sigma": 1.0})
    with pytest.raises(ParameterError, match="reduction"):
        mkt.NLLLoss("normal", reduction="avg")
    loss = mkt.NLLLoss("normal")
    y = torch.zeros(4, dtype=torch.float64)
    with pytest.raises(DataError, match="columns"):
        loss(torch.zeros(4, 3, dtype=torch.float64), y)
    with pytest.raises(DataError, match="target's shape"):
        loss(torch.zeros(4, 2, dtype=torch.float64), torch.zeros(4, 1, dtype=torch.float64))
    with pytest.raises(ParameterError, match="missing"):
        loss({"mu": y}, y)
    with pytest.raises(SupportError, match="index 2"):
        mkt.NLLLoss("bernoulli")(torch.zeros(3), torch.tensor([0.0, 1.0, 2.0]))
    if "binomial" in FAMILIES:
        with pytest.raises(ParameterError, match="'n'"):
            mkt.NLLLoss("binomial")
    with pytest.raises(NotImplementedForFamily):
        mkt.NLLLoss("categorical", method="symbolic")


def test_single_head_shapes_and_weights():
    loss = mkt.NLLLoss("poisson" if "poisson" in FAMILIES else "bernoulli")
    y = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
    eta = torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64)
    a = loss(eta, y)
    b = loss(eta[:, None], y)  # (N, 1) output against (N,) target: squeezed, not (N, N)
    torch.testing.assert_close(a, b)
    w = torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)
    each = mkt.NLLLoss(loss.family, reduction="none")(eta, y)
    torch.testing.assert_close(loss(eta, y, w), (each * w).sum() / w.sum())
    torch.testing.assert_close(mkt.NLLLoss(loss.family, reduction="sum")(eta, y), each.sum())
    torch.testing.assert_close(mkt.nll(eta, y, family=loss.family), a)


def test_float32_and_params_and_distribution():
    loss = mkt.NLLLoss("normal", heads={"mu": "identity", "sigma": "log"})
    out = torch.tensor([[0.0, 0.0], [1.0, np.log(2.0)]], dtype=torch.float32)
    y = torch.tensor([0.5, 1.0], dtype=torch.float32)
    assert loss(out, y).dtype == torch.float32
    prm = loss.params(out)
    np.testing.assert_allclose(prm["sigma"].numpy(), [1.0, 2.0], rtol=1e-6)
    dist = loss.distribution(out)
    np.testing.assert_allclose(dist.ppf(0.975), [1.959964, 1 + 2 * 1.959964], rtol=1e-5)
    bern = mkt.NLLLoss("bernoulli").distribution(torch.tensor([1000.0, 0.0]))
    np.testing.assert_allclose(bern.logpdf([0.0, 1.0]), [-1000.0, np.log(0.5)])


def test_fixed_tensor_and_studentt_fixed_df():
    if "studentt" not in FAMILIES:
        pytest.skip("studentt not registered")
    fam = FAMILIES["studentt"]
    df = next(n for n in fam.param_names if n in ("nu", "df"))
    loss = mkt.NLLLoss("studentt", heads={"mu": "identity", "sigma": "log"},
                       fixed={df: torch.tensor([3.0, 30.0], dtype=torch.float64)},
                       reduction="none")
    y = torch.tensor([2.0, 2.0], dtype=torch.float64)
    v = loss(torch.zeros(2, 2, dtype=torch.float64), y)
    ref = -fam.logpdf(y.numpy(), **{df: np.array([3.0, 30.0]), "mu": 0.0, "sigma": 1.0})
    np.testing.assert_allclose(v.numpy(), ref, rtol=1e-10)


def test_custom_family_uses_symbolic_path():
    custom = getattr(mk, "custom_family", None)
    if custom is None:
        from mlekit.families import custom as _c

        custom = _c.custom_family
    fam = custom("exp(-abs(x - mu)/b) / (2*b)", params={"mu": "real", "b": "positive"},
                 support="real", name="my_laplace_torch")
    loss = mkt.NLLLoss(fam, heads={"mu": "identity", "b": "log"}, reduction="none")
    assert loss.method_used == "symbolic"
    out = torch.tensor([[0.0, 0.0], [1.0, np.log(2.0)]], dtype=torch.float64,
                       requires_grad=True)
    y = torch.tensor([0.5, -1.0], dtype=torch.float64)
    v = loss(out, y)
    np.testing.assert_allclose(v.detach().numpy(), [np.log(2) + 0.5, np.log(4) + 1.0])
    (g,) = torch.autograd.grad(v.sum(), out)
    # d/d mu |y-mu|/b = -sign(y-mu)/b ; d/d log b (log 2b + |y-mu|/b) = 1 - |y-mu|/b
    np.testing.assert_allclose(g.numpy(), [[-1.0, 0.5], [0.5, 0.0]], atol=1e-12)


def test_gradcheck_symbolic_gamma_heads():
    if "gamma" not in FAMILIES:
        pytest.skip("gamma not registered")
    loss = mkt.NLLLoss("gamma", method="symbolic")
    y = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    out = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda o: loss(o, y), (out,))
    closed = mkt.NLLLoss("gamma")
    torch.testing.assert_close(loss(out, y), closed(out, y))


def test_import_mlekit_does_not_import_torch():
    code = "import sys, mlekit; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "False", out.stderr
