"""``dleverage sample`` and ``dleverage report`` on a real cluster."""

from __future__ import annotations

import json
import os

import matplotlib.image
import numpy as np
import pytest
import zarr

import dleverage as dl
from dleverage.cli.main import main
from dleverage.io.datasets import write_digits

pytestmark = pytest.mark.cluster


@pytest.fixture
def digits(tmp_path):
    data = write_digits(tmp_path, chunk_rows=300)
    scores = tmp_path / "scores.zarr"
    dl.leverage_scores(dl.open_matrix(data, component="X"), ridge="rel:0.01").to_zarr(
        scores
    )
    return data, str(scores)


def test_sample_materialize(digits, tmp_path, cluster, capsys):
    data, scores = digits
    out = tmp_path / "subset.zarr"
    code = main(
        [
            "sample",
            scores,
            "--size",
            "200",
            "--scheme",
            "stratified",
            "--budget",
            "equal",
            "--seed",
            "9",
            "--out",
            str(out),
            "--materialize",
            f"{data}::X",
            "--labels",
            f"{data}::y",
            "--scheduler",
            cluster.scheduler_address,
            "--json",
        ]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["options"]["budgets"] == [20] * 10
    group = zarr.open_group(out, mode="r")
    source = zarr.open_group(data, mode="r")
    indices = group["indices"][...]
    np.testing.assert_array_equal(group["X"][...], source["X"][...][indices])
    np.testing.assert_array_equal(group["y"][...], source["y"][...][indices])
    again = dl.sample(
        scores,
        size=200,
        scheme="stratified",
        budget="equal",
        seed=9,
        labels=f"{data}::y",
    )
    np.testing.assert_array_equal(again.indices, indices)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--size", "0"], "Invalid sample size 0"),
        (["--size", "5", "--scheme", "best"], "Invalid scheme 'best'"),
        (
            ["--size", "5000", "--scheme", "topk"],
            "Cannot select 5000 of n_samples=1797 rows",
        ),
        (
            ["--size", "5", "--scheme", "stratified", "--labels", "LABELS"],
            "No Zarr array or group found",
        ),
    ],
)
def test_sample_bad_input(digits, tmp_path, cluster, capsys, arguments, message):
    _, scores = digits
    arguments = [a.replace("LABELS", str(tmp_path / "none.zarr")) for a in arguments]
    out = tmp_path / "subset.zarr"
    code = main(
        [
            "sample",
            scores,
            "--out",
            str(out),
            "--seed",
            "1",
            *arguments,
            "--scheduler",
            cluster.scheduler_address,
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("dleverage sample: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".subset")]


def test_report_png_and_html(digits, tmp_path, cluster, capsys):
    _, scores = digits
    png = tmp_path / "report.png"
    code = main(
        [
            "report",
            scores,
            "--out",
            str(png),
            "--json",
            "--scheduler",
            cluster.scheduler_address,
        ]
    )
    assert code == 0
    stats = json.loads(capsys.readouterr().out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(png)
    assert image.ndim == 3
    assert image.shape[0] > 100
    assert stats["d_eff"] == pytest.approx(stats["total"], rel=1e-9)
    html = tmp_path / "report.html"
    assert (
        main(
            [
                "report",
                scores,
                "--out",
                str(html),
                "--scheduler",
                cluster.scheduler_address,
            ]
        )
        == 0
    )
    text = html.read_text()
    assert "data:image/png;base64," in text
    assert "top_1pct_share" in text


def test_report_bad_extension(digits, tmp_path, cluster, capsys):
    _, scores = digits
    code = main(
        [
            "report",
            scores,
            "--out",
            str(tmp_path / "r.txt"),
            "--scheduler",
            cluster.scheduler_address,
        ]
    )
    assert code == 2
    assert "Invalid report file" in capsys.readouterr().err
    assert not (tmp_path / "r.txt").exists()
