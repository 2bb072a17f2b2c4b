"""mlekit.torch.kl: against the NumPy closed forms of the registry and torch.distributions."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mlekit as mk  # noqa: E402
import mlekit.torch as mkt  # noqa: E402
from mlekit.errors import NotImplementedForFamily  # noqa: E402
from mlekit.families import FAMILIES, lookup_kl  # noqa: E402

D = torch.distributions
PAIRS = sorted(a for (a, b) in mkt.TORCH_KL if a in FAMILIES)

# random valid parameters (batch of 6) and the matching torch.distributions object
_RNG = np.random.default_rng(7)


def _params(name):
    u = lambda lo, hi: torch.as_tensor(_RNG.uniform(lo, hi, 6))  # noqa: E731
    if name in ("normal", "lognormal"):
        return {"mu": u(-2, 2), "sigma": u(0.3, 3)}
    if name == "halfnormal":
        return {"sigma": u(0.3, 3)}
    if name == "bernoulli":
        return {"p": u(0.05, 0.95)}
    if name == "categorical":
        return {"p": torch.softmax(torch.as_tensor(_RNG.normal(size=(6, 4))), -1)}
    if name in ("poisson", "exponential"):
        return {"rate": u(0.2, 5)}
    if name == "gamma":
        return {"shape": u(0.5, 5), "rate": u(0.2, 4)}
    if name == "beta":
        return {"alpha": u(0.5, 5), "beta": u(0.5, 5)}
    if name == "laplace":
        return {"mu": u(-2, 2), "b": u(0.3, 3)}
    if name == "binomial":
        return {"n": torch.full((6,), 7.0, dtype=torch.float64), "p": u(0.05, 0.95)}
    raise KeyError(name)


_TORCH = {
    "normal": lambda P: D.Normal(P["mu"], P["sigma"]),
    "lognormal": lambda P: D.LogNormal(P["mu"], P["sigma"]),
    "halfnormal": lambda P: D.HalfNormal(P["sigma"]),
    "bernoulli": lambda P: D.Bernoulli(probs=P["p"]),
    "categorical": lambda P: D.Categorical(probs=P["p"]),
    "poisson": lambda P: D.Poisson(P["rate"]),
    "exponential": lambda P: D.Exponential(P["rate"]),
    "gamma": lambda P: D.Gamma(P["shape"], P["rate"]),
    "beta": lambda P: D.Beta(P["alpha"], P["beta"]),
    "laplace": lambda P: D.Laplace(P["mu"], P["b"]),
    "binomial": lambda P: D.Binomial(P["n"], probs=P["p"]),
}


@pytest.mark.parametrize("name", PAIRS)
def test_kl_matches_registry_and_torch(name):
    fam = FAMILIES[name]
    if fam.param_names != mkt.TORCH_KL[(name, name)][0]:
        pytest.skip(f"{name} registered with parameters {fam.param_names}")
    p, q = _params(name), _params(name)
    ours = mkt.kl((name, p), (name, q))
    ref_np = lookup_kl(fam, fam)
    if ref_np is not None:
        ref = ref_np({k: v.numpy() for k, v in p.items()}, {k: v.numpy() for k, v in q.items()})
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-9, atol=1e-12)
    if name in _TORCH:
        try:
            ref_t = D.kl_divergence(_TORCH[name](p), _TORCH[name](q))
        except NotImplementedError:
            return
        np.testing.assert_allclose(ours.numpy(), ref_t.numpy(), rtol=1e-7, atol=1e-10)
        # the same inputs as torch.distributions objects give the same values
        both = mkt.kl(_TORCH[name](p), _TORCH[name](q))
        np.testing.assert_allclose(both.numpy(), ours.numpy(), rtol=1e-7, atol=1e-10)
        # gradients with respect to every continuous parameter agree
        pg = {k: v.clone().requires_grad_(k != "n") for k, v in p.items()}
        leaves = [v for k, v in pg.items() if k != "n"]
        g1 = torch.autograd.grad(mkt.kl((name, pg), (name, q)).sum(), leaves)
        g2 = torch.autograd.grad(D.kl_divergence(_TORCH[name](pg), _TORCH[name](q)).sum(),
                                 leaves)
        for a, b in zip(g1, g2, strict=True):
            if name == "categorical":  # torch renormalises probs: its gradient is the
                a = a - a.mean(-1, keepdim=True)  # projection onto the simplex (the
                b = b - b.mean(-1, keepdim=True)  # two differ by a constant per row)
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-9)


def test_kl_logits_pm1000_finite_and_exact():
    eta_p = torch.tensor([1000.0, -1000.0, 0.0], dtype=torch.float64)
    eta_q = torch.tensor([-1000.0, 1000.0, 0.0], dtype=torch.float64, requires_grad=True)
    v = mkt.kl(D.Bernoulli(logits=eta_p), ("bernoulli", {"logits": eta_q}))
    np.testing.assert_allclose(v.detach().numpy(), [1000.0, 1000.0, 0.0], rtol=1e-12)
    (g,) = torch.autograd.grad(v.sum(), eta_q)
    assert torch.isfinite(g).all()
    lp = torch.tensor([[1000.0, -1000.0, 0.0]], dtype=torch.float64)
    lq = torch.tensor([[0.0, 0.0, 0.0]], dtype=torch.float64)
    v = mkt.kl(D.Categorical(logits=lp), D.Categorical(logits=lq))
    np.testing.assert_allclose(v.numpy(), [np.log(3.0)], rtol=1e-12)


def test_kl_accepts_mlekit_distributions_and_broadcasts():
    p = mk.Normal(mu=np.array([0.0, 1.0]), sigma=1.0)
    v = mkt.kl(p, D.Normal(torch.tensor(0.0, dtype=torch.float64), 2.0))
    ref = mk.divergence.kl(p, mk.Normal(0.0, 2.0)).value if hasattr(mk, "divergence") else None
    expect = np.log(2.0) + (1.0 + np.array([0.0, 1.0]) ** 2) / 8 - 0.5
    np.testing.assert_allclose(v.numpy(), expect, rtol=1e-12)
    if ref is not None:
        np.testing.assert_allclose(v.numpy(), ref, rtol=1e-10)


def test_kl_unknown_pair_raises():
    with pytest.raises(NotImplementedForFamily, match="no torch closed-form KL"):
        mkt.kl(("normal", {"mu": 0.0, "sigma": 1.0}), ("bernoulli", {"p": 0.5}))
    with pytest.raises(NotImplementedForFamily, match="does not translate"):
        mkt.kl(D.Uniform(0.0, 1.0), D.Uniform(0.0, 2.0))
