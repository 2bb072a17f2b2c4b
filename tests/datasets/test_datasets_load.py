"""mlekit.datasets: shipped real data sets, their documented sizes, sources and licences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mlekit.datasets as ds
from mlekit.errors import UnknownNameError

EXPECTED = {"anes96", "engel", "iris", "longley", "nile", "randhie", "strikes"}


def test_list():
    assert set(ds.list()) == EXPECTED
    assert ds.list() == sorted(ds.list())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_matches_registry(name):
    df = ds.load(name)
    info = ds.describe(name)
    assert len(df) == info.rows
    assert df.notna().all().all(), f"{name} has missing values"
    assert all(np.issubdtype(t, np.number) for t in df.dtypes)
    assert info.source and info.licence
    p = ds.path(name)
    assert p.exists() and p.stat().st_size < 200_000


def test_sources_file_cites_every_set():
    text = (Path(ds.__file__).parent / "data" / "SOURCES.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"`{name}.csv`" in text
    assert "public domain" in text


def test_load_returns_fresh_copy():
    a = ds.load("nile")
    a.loc[0, "volume"] = -1
    assert ds.load("nile").loc[0, "volume"] == 1120


def test_known_values():
    nile = ds.load("nile")
    assert nile["year"].min() == 1871 and nile["year"].max() == 1970
    assert nile["volume"].mean() == pytest.approx(919.35)
    longley = ds.load("longley")
    assert longley["TOTEMP"].iloc[0] == 60323
    vote = ds.load("anes96")["vote"]
    assert set(vote.unique()) == {0, 1} and int(vote.sum()) == 393
    iris = ds.load("iris")
    assert sorted(iris["species"].unique()) == [0, 1, 2]
    assert (ds.load("randhie")["mdvis"] >= 0).all()


def test_unknown_name_did_you_mean():
    with pytest.raises(UnknownNameError, match=r"did you mean 'nile'"):
        ds.load("nil")
