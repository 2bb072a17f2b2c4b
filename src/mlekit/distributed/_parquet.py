"""The CLI's ``--dask`` path: regress on a directory / glob of Parquet files, lazily.

``fit_regression_from_parquet('data/*.parquet', formula='y ~ x1 + C(g)', family='poisson')``
reads the files with ``dask.dataframe.read_parquet`` (only the needed columns), builds
the design per partition (formulas: formulaic's model spec, learned on the first
partition, applied to every partition), and fits with :func:`fit_regression` on the
threaded scheduler or on the cluster at ``scheduler`` (``"tcp://host:8786"``).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from ..errors import DataError, FormulaError

__all__ = ["fit_regression_from_parquet"]


def _hint(name: str, columns: list[str]) -> str:
    from ..errors import did_you_mean

    try:
        return did_you_mean(name, columns, "column")
    except Exception:  # pragma: no cover - message helper only
        return ""


def fit_regression_from_parquet(pattern: str, target: str | None = None,
                                features: list[str] | None = None, formula: str | None = None,
                                family: str = "normal", link: str | None = None,
                                fit_intercept: bool = True, alpha_l2: float = 0.0,
                                scheduler: str | None = None, progress: bool = True,
                                **fit_kwargs: Any) -> Any:
    """Fit a :class:`~mlekit.regression.Regression` on Parquet files via Dask; returns it.

    Parameters
    ----------
    pattern : a file, directory or glob (``'data/*.parquet'``)
    target, features : response column and feature columns (default: every other
        numeric column), or
    formula : ``"y ~ x1 + x2"`` (formulaic); stateful transforms and categorical
        levels are learned on the first partition
    family, link, fit_intercept, alpha_l2 : as in ``Regression``
    scheduler : address of a ``dask.distributed`` scheduler; None uses the threaded
        scheduler of this process
    progress : print one line per pass over the data to stderr
    **fit_kwargs : passed to :func:`fit_regression` (``chunk_rows``, ``persist`` …)

    Examples
    --------
    >>> import tempfile, os, mlekit as mk
    >>> from mlekit.distributed import fit_regression_from_parquet
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = tmp.name
    >>> mk.datasets.load("engel").to_parquet(os.path.join(folder, "engel.parquet"))
    >>> model = fit_regression_from_parquet(os.path.join(folder, "*.parquet"), target="foodexp",
    ...                                     features=["income"], progress=False)
    >>> round(model.intercept_, 4), [round(float(b), 6) for b in model.coef_]
    (147.4754, [0.485178])
    >>> model = fit_regression_from_parquet("s3://bucket/*.parquet", formula="foodexp ~ income",
    ...                                     scheduler="tcp://10.0.0.5:8786")  # doctest: +SKIP
    >>> tmp.cleanup()
    """
    import dask
    import dask.dataframe as dd

    from ..regression import Regression
    from ._fit import fit_regression

    client = None
    if scheduler:
        from distributed import Client

        client = Client(scheduler)
    try:
        try:
            ddf = dd.read_parquet(pattern)
        except (FileNotFoundError, OSError, ValueError) as exc:
            raise DataError(f"cannot read Parquet data {pattern!r}: {exc}") from None
        columns = [str(c) for c in ddf.columns]
        if formula is not None:
            if "~" not in formula:
                raise FormulaError(f"formula {formula!r} needs a '~' (e.g. 'y ~ x1 + x2')")
            from formulaic import model_matrix

            head = ddf.get_partition(0).compute()
            try:
                mm = model_matrix(formula, head)
            except Exception as exc:
                raise FormulaError(f"cannot build the model matrix of {formula!r}: "
                                   f"{exc}") from None
            spec = mm.model_spec
            target = str(mm.lhs.columns[0])
            fit_intercept = "Intercept" in mm.rhs.columns
            names = [str(c) for c in mm.rhs.columns if c != "Intercept"]

            def rhs(pdf, spec=spec, names=names):
                out = spec.rhs.get_model_matrix(pdf)
                return out[names].astype(float)

            meta = mm.rhs[names].astype(float).iloc[:0]
            X = ddf.map_partitions(rhs, meta=meta)
            y = ddf.map_partitions(lambda pdf: spec.lhs.get_model_matrix(pdf).iloc[:, 0],
                                   meta=mm.lhs.iloc[:0, 0])
        else:
            if target is None:
                raise DataError("give a target column (or a formula 'y ~ x1 + x2')")
            if target not in columns:
                raise DataError(f"{pattern}: no column {target!r}{_hint(target, columns)}")
            if features is None:
                from pandas.api.types import is_numeric_dtype

                features = [str(c) for c, t in ddf.dtypes.items()
                            if str(c) != target and is_numeric_dtype(t)]
                if not features:
                    raise DataError(f"{pattern}: no numeric feature columns besides {target!r}")
            for c in features:
                if c not in columns:
                    raise DataError(f"{pattern}: no column {c!r}{_hint(c, columns)}")
            X = ddf[list(features)].astype(float)
            y = ddf[target]
        est = Regression(family=family, link=link, fit_intercept=fit_intercept,
                         alpha_l2=alpha_l2)
        reporter = None
        if progress:
            t0 = time.perf_counter()
            count = [0]

            def reporter(kind: str, seconds: float) -> None:
                count[0] += 1
                print(f"\r[dask] pass {count[0]:3d} ({kind}) {seconds:6.2f} s, "
                      f"{time.perf_counter() - t0:7.1f} s total", end="", file=sys.stderr,
                      flush=True)

        with dask.config.set({"dataframe.convert-string": False}):
            fit_regression(est, X, y, progress=reporter, **fit_kwargs)
        if progress:
            print(file=sys.stderr)
        if formula is not None:
            est.formula_ = formula
        return est
    finally:
        if client is not None:
            client.close()
