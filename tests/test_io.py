"""mlekit.io: CSV/TSV/Parquet reading with one-line DataErrors naming file, column and row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlekit.errors import DataError
from mlekit.io import as_numeric_column, read_column, read_table, table_format


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.5, 2.0, -3.25, 4.0], "y": [0, 1, 1, 0], "name": list("abcd")})


def test_csv_tsv_parquet_round_trip(tmp_path, frame):
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_csv(tmp_path / "d.tsv", index=False, sep="\t")
    frame.to_parquet(tmp_path / "d.parquet")
    for name in ("d.csv", "d.tsv", "d.parquet"):
        df = read_table(tmp_path / name)
        pd.testing.assert_frame_equal(df, frame, check_dtype=False)
        np.testing.assert_array_equal(read_column(tmp_path / name, "x"), frame["x"].to_numpy())


def test_column_selection_keeps_order(tmp_path, frame):
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert list(read_table(tmp_path / "d.csv", columns=["y", "x"]).columns) == ["y", "x"]


def test_gzip_csv(tmp_path, frame):
    frame.to_csv(tmp_path / "d.csv.gz", index=False)
    np.testing.assert_array_equal(read_column(tmp_path / "d.csv.gz", "y"), [0, 1, 1, 0])


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"no such file"):
        read_table(tmp_path / "nope.csv")


def test_directory(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataError, match="is a directory"):
        read_table(tmp_path / "dir.csv")


def test_unknown_suffix(tmp_path):
    (tmp_path / "d.xlsx").write_text("x\n1\n")
    with pytest.raises(DataError, match=r"unknown file type '\.xlsx'"):
        read_table(tmp_path / "d.xlsx")
    assert table_format("a/b.TSV") == "tsv"


def test_missing_column_did_you_mean(tmp_path, frame):
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(DataError, match=r"no column 'X'; did you mean 'x'\? \(columns: x, y, name"):
        read_column(tmp_path / "d.csv", "X")
    with pytest.raises(DataError, match=r"no column 'zzz' \(columns"):
        read_column(tmp_path / "d.csv", "zzz")


def test_non_numeric_names_column_and_row(tmp_path):
    (tmp_path / "d.csv").write_text("x\n1\n2\nthree\n4\n")
    with pytest.raises(DataError, match=r"column 'x' has a non-numeric value 'three' in row 3"):
        read_column(tmp_path / "d.csv", "x")


def test_empty_cell_and_nan_and_inf(tmp_path):
    (tmp_path / "e.csv").write_text("x,y\n1,2\n,3\n")
    with pytest.raises(DataError, match=r"column 'x' has an empty cell / NaN in row 2"):
        read_column(tmp_path / "e.csv", "x")
    (tmp_path / "n.csv").write_text("x\n1\nnan\n")
    with pytest.raises(DataError, match=r"row 2"):
        read_column(tmp_path / "n.csv", "x")
    (tmp_path / "i.csv").write_text("x\n1\n2\ninf\n")
    with pytest.raises(DataError, match=r"has inf in row 3"):
        read_column(tmp_path / "i.csv", "x")
    assert np.isnan(read_column(tmp_path / "n.csv", "x", allow_nan=True)[1])


def test_empty_and_header_only(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="the file is empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "head.csv").write_text("x,y\n")
    with pytest.raises(DataError, match="no data rows"):
        read_table(tmp_path / "head.csv")


def test_malformed_csv(tmp_path):
    (tmp_path / "bad.csv").write_text('x,y\n1,2\n3,4,5,6\n"unterminated\n')
    with pytest.raises(DataError, match=r"malformed CSV"):
        read_table(tmp_path / "bad.csv")


def test_malformed_parquet_and_binary_csv(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"not a parquet file at all")
    with pytest.raises(DataError, match=r"cannot read as PARQUET"):
        read_table(tmp_path / "bad.parquet")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81\x82\n\x00\xff")
    with pytest.raises(DataError):
        read_table(tmp_path / "bin.csv")


def test_messages_are_one_line(tmp_path):
    (tmp_path / "bad.csv").write_text('x,y\n1,2\n3,4,5,6\n')
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "bad.csv")
    assert "\n" not in str(info.value)


def test_as_numeric_column_from_series():
    out = as_numeric_column(pd.Series(["1", "2.5", "-3e2"]), "v")
    np.testing.assert_array_equal(out, [1.0, 2.5, -300.0])
