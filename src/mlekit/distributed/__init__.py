"""The same maximum-likelihood fits on Dask arrays and dataframes (optional extra ``mlekit[dask]``).

A fit is a sum over rows: each chunk's NLL, gradient and Hessian are summed on
the worker that holds it and only p-sized results travel. The Newton solver is
the in-memory one (:mod:`mlekit.regression.solver`); only the row-sum backend
changes (:class:`DaskSums`).

* :func:`fit_regression` — ``Regression`` on dask arrays / dataframes
* :func:`fit_family` — ``Family.fit`` (unconditional MLE) on a dask array
* :func:`fit_regression_from_parquet` — the CLI's ``--dask`` path

Importing this package does not import dask; the functions do.
"""

from typing import Any

__all__ = ["DaskSums", "fit_family", "fit_regression", "fit_regression_from_parquet",
           "install_hooks", "is_dask_collection"]

_LAZY = {"DaskSums": "._sums", "fit_regression": "._fit", "is_dask_collection": "._fit",
         "fit_family": "._family", "fit_regression_from_parquet": "._parquet"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def install_hooks() -> None:
    """Make ``Family.fit`` and ``Regression.fit`` accept dask data (idempotent; imports no dask).

    Wraps the fit backend that :mod:`mlekit.estimate` installed: dask input goes to
    :func:`fit_family`, everything else to the previous backend unchanged.

    Examples
    --------
    >>> import dask.array as da, mlekit as mk
    >>> from mlekit.distributed import install_hooks
    >>> install_hooks()                      # done by `import mlekit`; calling again is harmless
    >>> res = mk.Poisson.fit(da.from_array([1.0, 2.0, 0.0, 3.0], chunks=2))
    >>> res.method, round(res.params["rate"], 6)            # the sample mean
    ('newton on dask chunk sums', 1.5)
    """
    from ..families import base

    previous = base._FIT_BACKEND
    if previous is not None and not getattr(previous, "_mlekit_dask", False):
        def fit_backend(x: Any, family: Any, weights: Any = None, **kwargs: Any) -> Any:
            if _is_dask(x) or _is_dask(weights):
                from ._family import fit_family

                return fit_family(x, family, weights=weights, **kwargs)
            return previous(x, family, weights=weights, **kwargs)

        fit_backend._mlekit_dask = True  # type: ignore[attr-defined]
        base._set_fit_backend(fit_backend)

    # the regression package may be mid-import here (its import of the families wires the
    # package): its registry is defined before those imports, and what is registered
    # imports nothing until a fit asks for it
    from .. import regression

    register = getattr(regression, "_register_data_backend", None)
    if register is not None and not getattr(regression, "_mlekit_dask_registered", False):
        register(_is_dask, _fit_regression_lazily)
        regression._mlekit_dask_registered = True


def _is_dask(x: Any) -> bool:
    """:func:`is_dask_collection` without importing ``._fit`` (nor dask)."""
    return type(x).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(x, "dask")


def _fit_regression_lazily(*args: Any, **kwargs: Any) -> Any:
    """:func:`fit_regression`, imported when the first fit on Dask data runs."""
    from ._fit import fit_regression

    return fit_regression(*args, **kwargs)


install_hooks()
