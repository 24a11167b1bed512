"""The score report: statistics against NumPy, and rendered files."""

from __future__ import annotations

import math

import dask.array as da
import matplotlib.image
import numpy as np
import pytest

import dleverage as dl
from dleverage.testing import heavy_scores


def test_score_summary_oracle():
    scores = np.concatenate([heavy_scores(), np.zeros(60)])
    stats = dl.score_summary(da.from_array(scores, chunks=17))
    k = math.ceil(0.01 * scores.size)
    assert stats["n_samples"] == 100
    assert stats["n_zero"] == 62
    assert stats["total"] == pytest.approx(scores.sum(), rel=1e-14)
    assert stats["max_over_mean"] == pytest.approx(
        scores.max() / scores.mean(), rel=1e-14
    )
    top = np.sort(scores)[::-1][:k].sum() / scores.sum()
    assert stats["top_1pct_share"] == pytest.approx(top, rel=1e-14)


def test_gini_extremes():
    # Equal scores: Gini 0 (up to the binning of the curve); one row with all the
    # mass among 1,000: Gini 1 - 1/1000.
    assert dl.score_summary(np.ones(1000))["gini"] == pytest.approx(0.0, abs=1e-9)
    spike = np.zeros(1000)
    spike[3] = 1.0
    assert dl.score_summary(spike)["gini"] == pytest.approx(0.999, abs=1e-9)


def test_render_png_svg(tmp_path, rng):
    x = rng.standard_normal((500, 4)) * rng.pareto(1.5, size=(500, 1))
    result = dl.leverage_scores(x, ridge="rel:0.01")
    stats = dl.render_report(result, tmp_path / "r.png", bins=30)
    image = matplotlib.image.imread(tmp_path / "r.png")
    assert image.shape[2] in (3, 4)
    assert stats["d_eff"] == pytest.approx(result.factor.d_eff)
    dl.render_report(result, tmp_path / "r.svg")
    assert (tmp_path / "r.svg").read_text().lstrip().startswith("<?xml")


def test_render_rejects_bad_input(tmp_path):
    with pytest.raises(dl.InvalidInputError, match=r"Expected a .png, .svg, .pdf"):
        dl.render_report(np.ones(3), tmp_path / "r.jpg")
    with pytest.raises(dl.InvalidInputError, match=r"1 NaN, infinite or negative"):
        dl.render_report(np.array([1.0, np.nan]), tmp_path / "r.png")
    with pytest.raises(dl.InvalidInputError, match=r"Invalid value for bins: 0"):
        dl.render_report(np.ones(3), tmp_path / "r.png", bins=0)
    assert list(tmp_path.iterdir()) == []
