"""Every hand-written row model is declared by its family, beside its density, and names
only parameters the family has (issue #20, item 3).

Driven by the registry: each registered family whose ``row_model`` is set is visited.

* the declaration: a :class:`~mlekit.families._rowmodel.RowModel` subclass, defined in
  the family's own file, with at least one named link;
* its parameters: every nuisance parameter the model estimates (``nuisance_names``) is a
  parameter of the family, or of one of the family's declared parametrisations (listed
  below, with the user-visible consequence); the mean slot drives a declared mean;
* its output: at random linear predictors the model's ``distribution_params`` freeze a
  member of the family, carry the nuisance values of the slots, and the model's NLL is
  ``-logpdf`` of that member (the fast path's copy of the density bound to the family's
  own ``logpdf``, to 1e-10 relative).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mlekit.errors import ParameterError
from mlekit.families import FAMILIES
from mlekit.families._rowmodel import RowModel
from mlekit.links import get_link

N = 30
TRIALS = 9

#: (family, nuisance name of its row model) -> (parametrisation, parameter) that it is,
#: where the row model's name is not one of the family's own parameters: Beta regression's
#: precision is the family's "mean" parametrisation's ``precision``.
_NUISANCE_ELSEWHERE = {("beta", "precision"): ("mean", "precision")}
#: per-row data a row model needs besides y (Binomial: the number of trials)
_AUX = {"binomial": {"trials": np.full(N, float(TRIALS))}}


def _declared() -> list[str]:
    return [n for n, f in FAMILIES.items() if f.row_model is not None]


def _build(name: str, link: str | None = None) -> RowModel:
    fam = FAMILIES[name]
    cls = fam.row_model
    opts = {}
    if "n_classes" in {f.name for f in dataclasses.fields(cls)}:
        opts["n_classes"] = int(fam.support_of(**fam.example_params).edges[1]) + 1
    lk = get_link(link or cls.default_link or fam.canonical_link or "identity")
    return cls(fam, lk, {}, **opts)


def test_the_registry_declares_the_eleven_fast_paths():
    assert set(_declared()) >= {"normal", "bernoulli", "categorical", "binomial", "poisson",
                                "gamma", "inversegaussian", "negativebinomial", "studentt",
                                "beta", "laplace"}
    undeclared = [n for n, f in FAMILIES.items() if f.row_model is None]
    assert "weibull" in undeclared  # (None by default: the generic engine)


@pytest.mark.parametrize("name", _declared())
def test_declared_beside_the_density(name: str):
    fam = FAMILIES[name]
    cls = fam.row_model
    assert isinstance(cls, type) and issubclass(cls, RowModel)
    assert cls.__module__ == type(fam).__module__, (cls.__module__, type(fam).__module__)
    assert cls.allowed_links


@pytest.mark.parametrize("name", _declared())
def test_row_model_names_parameters_the_family_has(name: str):
    fam = FAMILIES[name]
    cls = fam.row_model
    own = set(fam.param_names)
    for nuis in cls.nuisance_names:
        if nuis in own:
            assert (name, nuis) not in _NUISANCE_ELSEWHERE  # (a stale entry)
            continue
        assert (name, nuis) in _NUISANCE_ELSEWHERE, (
            f"{name}: the row model's nuisance {nuis!r} is not a parameter of the family "
            f"({sorted(own)}) nor a listed parametrisation coordinate")
        par, pname = _NUISANCE_ELSEWHERE[(name, nuis)]
        assert pname in fam.parametrisations[par].param_names
    # the mean slot drives a mean the family declares: its mean parameter, or the mean
    # coordinate of a parametrisation (Gamma, Beta: "mean"); Categorical's slots are logits
    means = {fam.mean_parameter} | {p for k, v in fam.parametrisations.items()
                                    for p in v.param_names if p == "mean"}
    # (the Ordinal's slot moves a latent location; its thresholds carry the intercept)
    assert means - {None} or not fam.location_intercept, name
    # every nuisance can be held fixed by name, and nothing else can
    model = _build(name)
    ex = {k: float(np.ravel(v)[0]) for k, v in fam.example_params.items()}
    for nuis in cls.nuisance_names:
        value = ex.get(nuis, 2.0)
        held = cls(fam, model.link, {nuis: value})
        assert nuis not in [s.nuisance for s in held.slots]
    with pytest.raises(ParameterError, match="cannot fix"):
        cls(fam, model.link, {"not_a_parameter": 1.0})


def _point(model: RowModel, name: str, rng: np.random.Generator):
    fam = model.family
    aux = _AUX.get(name, {})
    ex = {k: np.asarray(v, float) for k, v in fam.example_params.items()}
    if "n" in ex:
        ex["n"] = np.asarray(TRIALS)
    y0 = np.asarray(fam.sample((N,), rng, **ex), float)
    y0 = y0.reshape(N, -1)[:, 0] if y0.ndim > 1 else y0
    start = np.asarray(model.init_eta(y0, np.ones(N), aux), float)
    eta = start[None, :] + 0.1 * rng.standard_normal((N, start.size))
    params = model.distribution_params(eta, aux)
    member = fam(**params)
    y = np.asarray(member.sample(rng=rng), float).reshape(N)
    return y, eta, aux, params, member


def _cases():
    for name in _declared():
        for link in FAMILIES[name].row_model.allowed_links:
            yield pytest.param(name, link, id=f"{name}-{link}")


@pytest.mark.parametrize("name,link", list(_cases()))
def test_distribution_params_freeze_a_member_and_bind_the_nll(name: str, link: str):
    model = _build(name, link)
    fam = model.family
    rng = np.random.default_rng(sum(map(ord, name + link)))
    y, eta, aux, params, member = _point(model, name, rng)
    assert set(params) <= set(fam.param_names) | set(fam.aux_names), sorted(params)
    nuisances = model.nuisance_values(eta)
    for nuis, value in nuisances.items():
        if nuis in params:
            assert np.allclose(params[nuis], value, rtol=1e-14, atol=0)
    nll = model.rows(y, eta, aux, order=0)[0]
    ref = -np.asarray(member.logpdf(y), float)
    assert np.all(np.isfinite(ref))
    assert np.max(np.abs(nll - ref) / np.maximum(np.abs(ref), 1e-300)) < 1e-10
