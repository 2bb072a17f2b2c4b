r"""Row models: which family has a hand-written link-space fast path, and building it.

A *row model* gives, per row ``i``, the negative log-likelihood as a function of the
raw linear predictors and its first and second derivatives with respect to them,

.. math::

    \ell_i(\eta_i) = -\log p(y_i \mid \eta_i), \qquad
    g_{ia} = \partial \ell_i / \partial \eta_{ia}, \qquad
    h_{iab} = \partial^2 \ell_i / \partial \eta_{ia} \partial \eta_{ib} .

The base classes (:class:`Cumulant`, :class:`Slot`, :class:`RowModel`) live on the
families floor (``families/_rowmodel.py``), and each hand-written fast path lives
beside its density in its family file, declared on the family
(``PoissonFamily.row_model = PoissonModel``). This module finds them through that
declaration, never by a family's name: :func:`has_fast_path` and :func:`make_model`
read ``family.row_model``. Every other family regresses through the generic engine
(``_engine.py``), and ``tests/regression/test_engine_binding.py`` holds every declared
fast path against it.

The names below are re-exported so that existing importers keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import NotImplementedForFamily
from ..families import FAMILIES, Family, get_family
from ..families._rowmodel import Cumulant, RowModel, Slot, _chain, _pack, _xmul
from ..families.bernoulli import BernoulliModel
from ..families.beta import BetaModel
from ..families.binomial import BinomialModel
from ..families.categorical import CategoricalModel
from ..families.gamma import GammaModel
from ..families.inversegaussian import InverseGaussianModel
from ..families.laplace import LaplaceModel
from ..families.negativebinomial import NegativeBinomialModel
from ..families.normal import NormalModel
from ..families.poisson import PoissonModel
from ..families.studentt import StudentTModel
from ..links import Link, get_link

__all__ = [
    "MODELS",
    "BernoulliModel",
    "BetaModel",
    "BinomialModel",
    "CategoricalModel",
    "Cumulant",
    "GammaModel",
    "InverseGaussianModel",
    "LaplaceModel",
    "NegativeBinomialModel",
    "NormalModel",
    "PoissonModel",
    "RowModel",
    "Slot",
    "StudentTModel",
    "_chain",
    "_pack",
    "_xmul",
    "has_fast_path",
    "make_model",
]


def _declared() -> dict[str, type[RowModel]]:
    """Registry name -> declared row model, for every registered family that has one."""
    return {name: fam.row_model for name, fam in FAMILIES.items() if fam.row_model is not None}


#: registry name -> declared row-model class (built from ``Family.row_model`` when this
#: module is imported; :func:`has_fast_path` and :func:`make_model` read the declaration
#: itself, so a family registered later is seen there)
MODELS: dict[str, type[RowModel]] = _declared()


def has_fast_path(family: str | Family) -> bool:
    """Does ``family`` declare a hand-written row model (else: the generic engine)?"""
    return get_family(family).row_model is not None


def make_model(family: str | Family, link: str | Link | None = None,
               fixed: Mapping[str, float] | None = None, **options: Any) -> RowModel:
    """Build the declared row model of ``family`` with ``link`` (its default when None:
    the model's ``default_link``, else the family's canonical link, else identity)."""
    fam = get_family(family)
    cls = fam.row_model
    if cls is None:
        raise NotImplementedForFamily(
            f"regression is not available for the {fam.title} family "
            f"(families with a regression model: {', '.join(sorted(_declared()))})"
        )
    lk = get_link(link if link is not None
                  else (cls.default_link or fam.canonical_link or "identity"))
    return cls(fam, lk, dict(fixed or {}), **options)
