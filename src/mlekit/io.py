"""Reading tables and columns (CSV, TSV, Parquet) with errors that say what is wrong and where.

Floor 1: imports only :mod:`mlekit.errors`. pandas is a core dependency;
Parquet needs ``pyarrow`` (the ``parquet`` extra), imported by pandas on demand.

Every failure raises :class:`~mlekit.errors.DataError` with one readable line:
a missing file, a file that cannot be parsed, an empty file, a missing column
(with the closest column name of the file), or a non-numeric value (naming the
column, the first bad row — 1-based, counting data rows after the header — and
the offending text).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DataError

if TYPE_CHECKING:  # pandas is imported where a table is read (keeps `import mlekit` fast)
    import pandas as pd

__all__ = ["FORMATS", "as_numeric_column", "read_column", "read_table", "table_format"]

#: file suffix -> format name
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def table_format(path: str | os.PathLike[str]) -> str:
    """The format of ``path`` from its suffix (``.csv``/``.tsv``/``.parquet``; also ``.gz``).

    Examples
    --------
    >>> from mlekit.io import table_format
    >>> table_format("runs/a.CSV.gz"), table_format("b.tab"), table_format("c.pq")
    ('csv', 'tsv', 'parquet')
    >>> table_format("notes.docx")
    Traceback (most recent call last):
        ...
    mlekit.errors.DataError: notes.docx: unknown file type '.docx' (known: .csv, .parquet, ...)
    """
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip"):
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise DataError(f"{p}: unknown file type {suffix or '(no suffix)'!r} (known: {known})")
    return FORMATS[suffix]


def _column_hint(name: str, columns: Sequence[str]) -> str:
    cols = [str(c) for c in columns]
    close = difflib.get_close_matches(str(name), cols, n=1, cutoff=0.5)
    if not close:  # case-insensitive second try
        lower = {c.lower(): c for c in cols}
        close = [lower[c] for c in difflib.get_close_matches(str(name).lower(), list(lower),
                                                             n=1, cutoff=0.5)]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(cols[:20]) + (" …" if len(cols) > 20 else "")
    return f"{hint} (columns: {shown})"


def read_table(path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file into a :class:`pandas.DataFrame`.

    Parameters
    ----------
    path : file name; the format comes from the suffix (``.csv``, ``.txt``,
        ``.tsv``, ``.tab``, ``.parquet``, ``.pq``; CSV/TSV may be compressed).
    columns : keep only these columns, in this order. A missing one raises
        :class:`DataError` with the closest existing name.

    Raises
    ------
    DataError
        missing file, a directory, unreadable or malformed content, no rows,
        missing column.

    Examples
    --------
    >>> import mlekit as mk
    >>> df = mk.read_table(mk.datasets.path("engel"), columns=["foodexp", "income"])
    >>> df.shape, list(df.columns)
    ((235, 2), ['foodexp', 'income'])
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, not a data file")
    fmt = table_format(p)
    try:
        if fmt == "parquet":
            try:
                df = pd.read_parquet(p)
            except ImportError:
                raise DataError(
                    f"{p}: reading Parquet needs pyarrow (pip install 'mlekit[parquet]')"
                ) from None
        else:
            df = pd.read_csv(p, sep="," if fmt == "csv" else "\t", skipinitialspace=True)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{p}: the file is empty") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "parse error"
        raise DataError(f"{p}: malformed {fmt.upper()} ({first})") from None
    except UnicodeDecodeError:
        raise DataError(f"{p}: not a text {fmt.upper()} file (cannot decode as UTF-8)") from None
    except (OSError, ValueError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{p}: cannot read as {fmt.upper()} ({msg})") from None
    except Exception as exc:  # pyarrow raises its own types (ArrowInvalid …)
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{p}: cannot read as {fmt.upper()} ({msg})") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df.columns) == 0:
        raise DataError(f"{p}: the file is empty")
    if len(df) == 0:
        raise DataError(f"{p}: no data rows (only a header: {', '.join(df.columns)})")
    if columns is not None:
        for c in columns:
            if c not in df.columns:
                raise DataError(f"{p}: no column {c!r}{_column_hint(c, list(df.columns))}")
        df = df[list(columns)]
    return df


def as_numeric_column(values: Any, column: str, source: str = "data",
                      allow_nan: bool = False) -> np.ndarray:
    """Convert one column to float, naming the column and first bad row on failure.

    Rows are reported 1-based, counting data rows (the header is row 0).
    ``allow_nan=False`` (the default) also rejects empty cells, NaN and ±inf.

    Examples
    --------
    >>> import numpy as np
    >>> from mlekit.io import as_numeric_column
    >>> as_numeric_column(["1", "2.5", " 3"], "dose")
    array([1. , 2.5, 3. ])
    >>> as_numeric_column(["1", "two", "3"], "dose", source="trial.csv")
    Traceback (most recent call last):
        ...
    mlekit.errors.DataError: trial.csv: column 'dose' has a non-numeric value 'two' in row 2 ...
    >>> as_numeric_column([1.0, np.nan], "dose", source="trial.csv")
    Traceback (most recent call last):
        ...
    mlekit.errors.DataError: trial.csv: column 'dose' has an empty cell / NaN in row 2 ...
    >>> as_numeric_column([1.0, np.nan], "dose", allow_nan=True)
    array([ 1., nan])
    """
    import pandas as pd

    s = pd.Series(values)
    num = pd.to_numeric(s, errors="coerce")
    # text that is not a number (cells that were empty stay NaN in both)
    bad_text = num.isna() & s.notna()
    if bool(bad_text.any()):
        i = int(np.flatnonzero(bad_text.to_numpy())[0])
        raise DataError(
            f"{source}: column {column!r} has a non-numeric value {str(s.iloc[i])!r} "
            f"in row {i + 1} (values must be numbers)"
        )
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    if not allow_nan:
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            what = "an empty cell / NaN" if np.isnan(arr[i]) else f"{arr[i]}"
            raise DataError(
                f"{source}: column {column!r} has {what} in row {i + 1} "
                f"(values must be finite numbers)"
            )
    return arr


def read_column(path: str | os.PathLike[str], column: str, allow_nan: bool = False) -> np.ndarray:
    """Read one numeric column of a CSV/TSV/Parquet file as a float array.

    Raises :class:`DataError` naming the file and the column for a missing
    column (with a did-you-mean), a non-numeric value or a NaN/inf/empty cell
    (with the first bad row, 1-based).

    Examples
    --------
    >>> import mlekit as mk
    >>> x = mk.read_column(mk.datasets.path("nile"), "volume")
    >>> x.dtype, x.shape, x[:3]
    (dtype('float64'), (100,), array([1120., 1160.,  963.]))
    >>> mk.read_column(mk.datasets.path("nile"), "volumes")   # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    mlekit.errors.DataError: ...nile.csv: no column 'volumes'; did you mean 'volume'? ...
    """
    df = read_table(path, columns=[column])
    return as_numeric_column(df[column], column, source=str(path), allow_nan=allow_nan)
