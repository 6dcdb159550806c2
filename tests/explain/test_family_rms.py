"""The Cox report's optimism bootstrap against R's ``rms::validate`` (Breslow ties) on
survival's ``lung`` data; the reference numbers and the data are made by
``docs/validation/rms_validate_cox.R``."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shrinkage.explain.family_compare import _optimism
from shrinkage.explain.family_procedure import procedure
from shrinkage.explain.survival import CoxFamily

VALIDATION = Path(__file__).resolve().parents[2] / "docs" / "validation"


def test_unpenalized_cox_validation_agrees_with_rms_within_monte_carlo_error():
    reference = json.loads((VALIDATION / "rms_cox_reference.json").read_text())["lung"]
    data = pd.read_csv(VALIDATION / "lung_complete.csv")
    X = data.drop(columns=["time", "status"]).to_numpy(float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # the report's standardization
    y = np.column_stack([data["time"], data["status"]])
    family = CoxFamily()
    fits = procedure(family, X, y, 5, np.random.default_rng(0), methods=("none",))
    ours = _optimism(family, X, y, fits, 200, 5, 11, 1, None, methods=("none",))["none"]
    assert ours["dxy_apparent"] == pytest.approx(reference["apparent"]["Dxy"], abs=1e-6)
    assert ours["slope_apparent"] == pytest.approx(1.0, abs=1e-6)
    for ours_key, r_key in (("dxy_corrected", "Dxy"), ("slope_corrected", "Slope")):
        # one B = 200 run against R's B = 2000 run: the SD between R's B = 200 runs
        # (with ours about the same) bounds the Monte-Carlo difference
        sd = reference["corrected_sd_between_runs"][r_key]
        assert abs(ours[ours_key] - reference["corrected_B2000"][r_key]) < 4 * sd
