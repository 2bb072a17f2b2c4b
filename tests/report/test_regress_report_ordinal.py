"""The report of an ordinal regression draws the calibration of each class probability
(one vs rest), as for a multiclass model, not residuals of class labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

import mlekit as mk
from mlekit.report import regress_report


def test_ordinal_report_is_a_calibration_by_class(tmp_path):
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x": rng.normal(size=300)})
    grade = np.digitize(0.8 * df["x"] + rng.logistic(size=300), [-1.0, 0.5, 2.0])
    m = mk.Regression(family="ordinal").fit(df[["x"]], grade)
    page = regress_report(m, df[["x"]], grade, tmp_path / "ord.html").read_text("utf-8")
    assert "Calibration by class (one vs rest)" in page
    assert all(f"class {k}" in page for k in range(4))
    assert "Residuals against fitted values" not in page
