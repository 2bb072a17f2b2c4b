"""The CLI's ``--dask`` path: regress on a directory / glob of Parquet files, lazily.

``fit_regression_from_parquet('data/*.parquet', formula='y ~ x1 + C(g)', family='poisson')``
reads the files with ``dask.dataframe.read_parquet`` (only the needed columns), builds
the design per partition (formulas: mlekit's whitelist grammar and NumPy design
builder, levels and transform state learned on the first partition, applied to
every partition), and fits with :func:`fit_regression` on the
threaded scheduler or on the cluster at ``scheduler`` (``"tcp://host:8786"``).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from ..errors import DataError

__all__ = ["fit_regression_from_parquet"]


def _hint(name: str, columns: list[str]) -> str:
    """"; did you mean 'x'? (columns: …)" — the same hint as for in-memory tables."""
    from ..io import _column_hint

    return _column_hint(name, columns)


#: seconds to wait for a dask.distributed scheduler before giving up
CONNECT_TIMEOUT = 5.0


def _check_local_files(pattern: str) -> None:
    """A local path (no ``scheme://``) must exist, and a glob must match a file."""
    import glob
    import os

    if "://" in pattern:
        return  # remote storage: dask/fsspec reports its own errors
    if glob.has_magic(pattern):
        if not glob.glob(pattern):
            raise DataError(f"no Parquet file matches {pattern!r}; check the path and the "
                            "pattern (e.g. 'data/*.parquet')")
    elif not os.path.exists(pattern):
        raise DataError(f"no such Parquet file or directory: {pattern!r}")


def _unreachable(scheduler: str, why: str) -> DataError:
    return DataError(f"cannot reach the Dask scheduler at {scheduler} ({why}): is it running? "
                     f"(waited at most {CONNECT_TIMEOUT:g} s; start one with `dask scheduler`, "
                     "or drop --scheduler to use threads in this process)")


def _connect(scheduler: str) -> Any:
    """A ``distributed.Client`` for ``scheduler``, waiting at most :data:`CONNECT_TIMEOUT` s.

    A ``tcp://host:port`` (or bare ``host:port``) address is first probed with a plain
    socket, so that an unreachable scheduler fails fast and leaves no half-built Client
    behind (whose clean-up would print a traceback at exit).
    """
    import socket

    scheme, sep, rest = scheduler.partition("://")
    if not sep:
        scheme, rest = "tcp", scheduler
    if scheme == "tcp":
        host, colon, port = rest.rstrip("/").rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise DataError(f"scheduler {scheduler!r} is not a scheduler address; expected "
                            "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786")
        try:
            with socket.create_connection((host.strip("[]"), int(port)),
                                          timeout=CONNECT_TIMEOUT):
                pass
        except OSError as exc:
            raise _unreachable(scheduler, " ".join(str(exc).split()) or type(exc).__name__
                               ) from None
    from distributed import Client  # (imported only once the address answers)

    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise _unreachable(scheduler, " ".join(str(exc).split()) or type(exc).__name__
                           ) from None


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
    formula : ``"y ~ x1 + C(g)"`` (the grammar of :func:`mlekit.grammar.parse_model_formula`);
        stateful transforms and categorical levels are learned on the first partition
        (a level missing from it raises a DataError naming it)
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
    _check_local_files(pattern)  # fail fast, before the (slow) dask imports
    client = _connect(scheduler) if scheduler else None

    import dask
    import dask.dataframe as dd

    from ..regression import Regression
    from ._fit import fit_regression

    try:
        try:
            ddf = dd.read_parquet(pattern)
        except (FileNotFoundError, OSError, ValueError) as exc:
            raise DataError(f"cannot read Parquet data {pattern!r}: {exc}") from None
        columns = [str(c) for c in ddf.columns]
        if not columns:
            raise DataError(f"{pattern!r}: no Parquet data (no file matches, or the files "
                            "have no columns)")
        if formula is not None:
            # The whitelist grammar and the NumPy design builder of the in-memory path;
            # no formula text reaches formulaic or eval. Levels, centring constants and
            # poly bases are learned on the FIRST partition and applied to every
            # partition: a level that the first partition lacks raises a named DataError
            # when its partition is read (it is never dropped).
            from ..grammar import parse_model_formula
            from ..regression._formula import FormulaDesign

            parsed = parse_model_formula(formula)
            for c in parsed.columns():
                if c not in columns:
                    raise DataError(f"{pattern}: no column {c!r}{_hint(c, columns)}")
            ddf = ddf[list(parsed.columns())]
            head = ddf.get_partition(0).compute()
            design = FormulaDesign.fit(parsed, head)
            resp = parsed.response
            target = resp.expr.name if resp is not None and resp.kind == "column" else \
                (resp.display if resp is not None else None)
            fit_intercept = design.intercept
            X = ddf.map_partitions(design.matrix, meta=design.matrix(head).iloc[:0])
            y = ddf.map_partitions(design.response, meta=design.response(head).iloc[:0])
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
            est.model_spec_ = design
        return est
    finally:
        if client is not None:
            client.close()
