"""mlekit.torch.NLLLoss against torch's built-in losses: values and gradients to 1e-6.

Everything runs in float64. Each built-in loss is the NLL of a family (with
constants dropped or a scale applied); the tests state the exact relation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mlekit as mk  # noqa: E402
import mlekit.torch as mkt  # noqa: E402

TOL = dict(rtol=1e-6, atol=1e-8)


def _close(a, b, **kw):
    np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), **(kw or TOL))


def _grad(fn, *xs):
    xs = [x.detach().clone().requires_grad_(True) for x in xs]
    out = fn(*xs)
    grads = torch.autograd.grad(out, xs)
    return out, grads


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def _scale_constant(sigma: float, m: int) -> tuple[float, float, str]:
    """NLL = a · Σ (y − μ)² + c for a Normal with fixed σ: from mlekit.derive when present."""
    try:
        from mlekit.derive import derive
    except ImportError:  # closed form a = 1/(2σ²), c = m log σ + (m/2) log 2π
        return (1 / (2 * sigma**2), m * math.log(sigma) + m / 2 * math.log(2 * math.pi),
                "closed form")
    d = derive("normal", wrt="mu", fixed={"sigma": sigma})
    const = d.constant.subs({s: m for s in d.constant.free_symbols if str(s) == "m"})
    return float(d.scale), float(const), "derive"


def test_mse_is_gaussian_nll_with_fixed_sigma(gen):
    m, sigma = 50, 2.0
    mu = torch.randn(m, generator=gen, dtype=torch.float64)
    y = torch.randn(m, generator=gen, dtype=torch.float64) * 3
    a, c, source = _scale_constant(sigma, m)
    assert a == pytest.approx(1 / (2 * sigma**2))
    assert c == pytest.approx(m * math.log(sigma) + m / 2 * math.log(2 * math.pi))
    ours = mkt.NLLLoss("normal", heads={"mu": "identity"}, fixed={"sigma": sigma},
                       reduction="sum")
    v1, g1 = _grad(lambda x: ours(x, y), mu)
    v2, g2 = _grad(lambda x: a * m * torch.nn.MSELoss()(x, y) + c, mu)
    _close(v1, v2)
    _close(g1[0], g2[0])
    assert source in ("derive", "closed form")


def test_bce_with_logits(gen):
    eta = torch.cat([torch.randn(40, generator=gen, dtype=torch.float64) * 5,
                     torch.tensor([1000.0, -1000.0, 1000.0, -1000.0], dtype=torch.float64)])
    y = (torch.rand(44, generator=gen, dtype=torch.float64) < 0.5).double()
    y[-4:] = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    ours = mkt.NLLLoss("bernoulli", heads={"p": "logit"})
    v1, g1 = _grad(lambda e: ours(e, y), eta)
    v2, g2 = _grad(lambda e: torch.nn.BCEWithLogitsLoss()(e, y), eta)
    assert torch.isfinite(v1) and torch.isfinite(g1[0]).all()
    _close(v1, v2)
    _close(g1[0], g2[0])


def test_cross_entropy(gen):
    logits = torch.randn(30, 4, generator=gen, dtype=torch.float64) * 3
    logits[0] = torch.tensor([1000.0, -1000.0, 0.0, 5.0])
    y = torch.randint(0, 4, (30,), generator=gen)
    y[0] = 1  # the class with logit −1000 among logits of +1000: NLL 2000, finite
    ours = mkt.NLLLoss("categorical")  # default head: softmax
    v1, g1 = _grad(lambda e: ours(e, y), logits)
    v2, g2 = _grad(lambda e: torch.nn.CrossEntropyLoss()(e, y), logits)
    assert torch.isfinite(v1) and torch.isfinite(g1[0]).all()
    _close(v1, v2)
    _close(g1[0], g2[0])


def test_poisson_full_differs_only_by_stirling(gen):
    """torch's ``full=True`` adds the Stirling approximation y log y − y + ½ log 2πy of
    log y! for y > 1 only (log 0! = log 1! = 0 exactly). mlekit uses the exact lgamma(y+1),
    so the values differ by the θ-free mean of lgamma(y+1) − Stirling(y) over y > 1 and
    the gradients agree exactly."""
    eta = torch.randn(60, generator=gen, dtype=torch.float64)
    y = torch.poisson(torch.exp(eta.detach()) * 3, generator=gen)
    ours = mkt.NLLLoss("poisson", heads={"rate": "log"})
    v1, g1 = _grad(lambda e: ours(e, y), eta)
    v2, g2 = _grad(lambda e: torch.nn.PoissonNLLLoss(log_input=True, full=True)(e, y), eta)
    stirling = torch.where(y > 1, y * torch.log(y) - y + 0.5 * torch.log(2 * math.pi * y),
                           torch.zeros_like(y))
    diff = torch.mean(torch.lgamma(y + 1) - stirling)
    assert float(diff) > 0  # Stirling undershoots log y! (by about 1/(12 y))
    _close(v1, v2 + diff)
    _close(g1[0], g2[0])
    # and torch's default full=False drops the whole log y! term
    v3 = torch.nn.PoissonNLLLoss(log_input=True)(eta, y)
    _close(v1, v3 + torch.mean(torch.lgamma(y + 1)))


def test_gaussian_nll_full_var_head(gen):
    """GaussianNLLLoss(full=True) takes the variance: a callable head σ = √var."""
    mu = torch.randn(25, generator=gen, dtype=torch.float64)
    var = torch.rand(25, generator=gen, dtype=torch.float64) + 0.1
    y = torch.randn(25, generator=gen, dtype=torch.float64)
    ours = mkt.NLLLoss("normal", heads={"mu": "identity", "sigma": torch.sqrt})
    v1, g1 = _grad(lambda a, v: ours({"mu": a, "sigma": v}, y), mu, var)
    v2, g2 = _grad(lambda a, v: torch.nn.GaussianNLLLoss(full=True)(a, y, v), mu, var)
    _close(v1, v2)
    _close(g1[0], g2[0])
    _close(g1[1], g2[1])


def test_kldiv_batchmean_against_mk_kl(gen):
    """KLDivLoss(batchmean)(log q, p) = mean_i KL(p_i ‖ q_i) = mk.kl(Categorical p, q)."""
    lp = torch.log_softmax(torch.randn(8, 5, generator=gen, dtype=torch.float64), -1)
    eta_q = torch.randn(8, 5, generator=gen, dtype=torch.float64)
    p = lp.exp()
    builtin = torch.nn.KLDivLoss(reduction="batchmean")
    v1, g1 = _grad(lambda e: mkt.kl(("categorical", {"p": p}),
                                    ("categorical", {"logits": e})).mean(), eta_q)
    v2, g2 = _grad(lambda e: builtin(torch.log_softmax(e, -1), p), eta_q)
    _close(v1, v2)
    _close(g1[0], g2[0])
    try:
        from mlekit.divergence import kl as mk_kl
    except ImportError:
        pytest.skip("mlekit.divergence not available")
    q = torch.softmax(eta_q, -1).numpy()
    res = mk_kl(mk.Categorical(p=p.numpy()), mk.Categorical(p=q))
    np.testing.assert_allclose(np.mean(np.asarray(res.value)), float(v2.detach()), rtol=1e-10)


def test_split_and_dict_inputs_agree(gen):
    out = torch.randn(10, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(10, generator=gen, dtype=torch.float64)
    loss = mkt.NLLLoss("normal", heads={"mu": "identity", "sigma": "log"})
    a = loss(out, y)
    b = loss({"mu": out[:, 0], "sigma": out[:, 1]}, y)
    ref = -torch.distributions.Normal(out[:, 0], out[:, 1].exp()).log_prob(y).mean()
    _close(a, b)
    _close(a, ref)
