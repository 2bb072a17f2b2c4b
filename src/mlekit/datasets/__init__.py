"""Small real data sets shipped with mlekit, for the demo, the docs and the tests.

>>> import mlekit as mk
>>> mk.datasets.list()
['anes96', 'engel', 'iris', 'longley', 'nile', 'randhie', 'strikes']
>>> mk.datasets.load("nile").head(2)
   year  volume
0  1871    1120
1  1872    1160

Each set is a CSV file under ``mlekit/datasets/data``; its source and licence
are cited in ``data/SOURCES.md`` and in :data:`DATASETS`. All are public
domain or under a permissive licence.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import did_you_mean

if TYPE_CHECKING:  # pandas is imported by load() (keeps `import mlekit` fast)
    import pandas as pd

__all__ = ["DATASETS", "DatasetInfo", "describe", "list", "load", "path"]


@dataclass(frozen=True)
class DatasetInfo:
    """What a shipped data set is, which columns matter, and where it comes from.

    Examples
    --------
    >>> import mlekit as mk
    >>> info = mk.datasets.DATASETS["strikes"]           # one DatasetInfo per data set
    >>> info.name, info.rows, info.rows == len(mk.datasets.load("strikes"))
    ('strikes', 62, True)
    >>> info.use
    'positive continuous / counts: `duration` (Exponential, Gamma, Poisson)'
    """

    name: str
    title: str
    rows: int
    use: str
    source: str
    licence: str


DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in (
        DatasetInfo(
            "nile", "Annual flow of the Nile at Aswan, 1871-1970 (10^8 m^3)", 100,
            "continuous: fit a Normal to `volume`",
            "Cobb (1978), Biometrika 65(2); via statsmodels.datasets.nile",
            "public domain (statsmodels: 'This is public domain.')"),
        DatasetInfo(
            "strikes", "Duration of US manufacturing strikes in days (June only)", 62,
            "positive continuous / counts: `duration` (Exponential, Gamma, Poisson)",
            "Kennan (1985), J. Econometrics 28(1), Bureau of Labor Statistics; via "
            "statsmodels.datasets.strikes",
            "public domain (statsmodels: 'This is public domain.')"),
        DatasetInfo(
            "engel", "Engel (1857): income and food expenditure of 235 Belgian households", 235,
            "positive continuous (`income`, `foodexp`); linear regression foodexp ~ income",
            "Koenker and Bassett (1982), R package quantreg; via statsmodels.datasets.engel",
            "public domain (statsmodels: 'This is public domain.')"),
        DatasetInfo(
            "longley", "Longley (1967) US macroeconomic data, highly collinear", 16,
            "linear regression TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR "
            "(NIST StRD certified values)",
            "Longley (1967), JASA 62(319); NIST StRD; via statsmodels.datasets.longley",
            "public domain (statsmodels: 'This is public domain.')"),
        DatasetInfo(
            "anes96", "American National Election Study 1996 (subset): Clinton vs Dole vote", 944,
            "binary: logistic regression of `vote` (1 = Dole) on PID, selfLR, age, educ, …",
            "American National Election Studies, electionstudies.org; via "
            "statsmodels.datasets.anes96",
            "public domain (statsmodels: 'This is public domain.')"),
        DatasetInfo(
            "randhie", "RAND Health Insurance Experiment: doctor visits (random 4000-row subset)",
            4000,
            "counts: `mdvis` (Poisson, negative binomial) on lncoins, idp, lpi, physlm, …",
            "RAND HIE; Cameron and Trivedi (2005); via statsmodels.datasets.randhie "
            "(rows sampled with numpy default_rng(20261128), original order kept)",
            "public domain (statsmodels: 'This is in the public domain.')"),
        DatasetInfo(
            "iris", "Fisher's (1936) iris flowers: four measurements, three species", 150,
            "categorical: `species` (0 setosa, 1 versicolor, 2 virginica) on the measurements",
            "Fisher (1936), Annals of Eugenics 7(2); via sklearn.datasets.load_iris",
            "public domain data (1936); file from scikit-learn, BSD-3-Clause"),
    )
}


def _data_dir() -> Path:
    return Path(str(resources.files(__name__) / "data"))


def list() -> builtins.list[str]:
    """Names of the shipped data sets, sorted.

    Examples
    --------
    >>> import mlekit as mk
    >>> for name in mk.datasets.list():
    ...     df = mk.datasets.load(name)
    ...     print(f"{name:8} {df.shape}  {', '.join(df.columns[:3])}")
    anes96   (944, 11)  popul, TVnews, selfLR
    engel    (235, 2)  income, foodexp
    iris     (150, 5)  sepal_length, sepal_width, petal_length
    longley  (16, 7)  TOTEMP, GNPDEFL, GNP
    nile     (100, 2)  year, volume
    randhie  (4000, 10)  mdvis, lncoins, idp
    strikes  (62, 2)  duration, iprod
    """
    return sorted(DATASETS)


def _info(name: str) -> DatasetInfo:
    key = str(name).strip().lower()
    if key not in DATASETS:
        raise did_you_mean(name, DATASETS, what="dataset")
    return DATASETS[key]


def path(name: str) -> Path:
    """Path of the CSV file of a shipped data set.

    Examples
    --------
    >>> import mlekit as mk
    >>> p = mk.datasets.path("Nile")                     # names are case-insensitive
    >>> p.name, p.parent.name, p.exists()
    ('nile.csv', 'data', True)
    >>> p.read_text().splitlines()[:2]
    ['year,volume', '1871,1120']
    """
    return _data_dir() / f"{_info(name).name}.csv"


def describe(name: str) -> DatasetInfo:
    """Title, size, intended use, source and licence of a shipped data set.

    Examples
    --------
    >>> import mlekit as mk
    >>> info = mk.datasets.describe("nile")
    >>> info.title
    'Annual flow of the Nile at Aswan, 1871-1970 (10^8 m^3)'
    >>> info.rows, info.use
    (100, 'continuous: fit a Normal to `volume`')
    >>> info.licence
    "public domain (statsmodels: 'This is public domain.')"
    """
    return _info(name)


def load(name: str) -> pd.DataFrame:
    """Load a shipped data set as a :class:`pandas.DataFrame` (a fresh copy each call).

    Raises :class:`~mlekit.errors.UnknownNameError` (with a did-you-mean) for an
    unknown name.

    Examples
    --------
    >>> import mlekit as mk
    >>> iris = mk.datasets.load("iris")
    >>> iris.shape, iris.columns.tolist()
    ((150, 5), ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'])
    >>> iris["species"].value_counts().sort_index().tolist()
    [50, 50, 50]
    >>> mk.datasets.load("strike")
    Traceback (most recent call last):
        ...
    mlekit.errors.UnknownNameError: unknown dataset 'strike'; did you mean 'strikes'? ...
    """
    import pandas as pd

    return pd.read_csv(path(name))
