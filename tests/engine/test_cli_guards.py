"""Output-path guards of the commands: empty paths, the current folder, reports."""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr

import dleverage as dl
from dleverage.cli.main import main


@pytest.fixture
def scored(tmp_path, rng):
    x = rng.standard_normal((300, 4))
    zarr.create_array(store=tmp_path / "x.zarr", shape=x.shape, dtype="f8")[...] = x
    out = tmp_path / "s.zarr"
    dl.leverage_scores(str(tmp_path / "x.zarr")).to_zarr(out)
    return tmp_path, str(tmp_path / "x.zarr"), str(out)


def test_empty_output_path_is_rejected(scored, capsys):
    _, data, _ = scored
    assert main(["score", data, "--out", ""]) == 2
    assert "The output path is empty" in capsys.readouterr().err
    with pytest.raises(dl.InvalidInputError, match="output path is empty"):
        dl.leverage_scores(np.eye(3)).to_zarr("")


def test_current_folder_is_never_replaced(scored, monkeypatch, capsys):
    folder, data, out = scored
    monkeypatch.chdir(out)
    (folder / "s.zarr" / "notes.txt").write_text("keep")
    assert main(["score", data, "--out", ".", "--overwrite"]) == 2
    assert "is the current folder or contains it" in capsys.readouterr().err
    assert (folder / "s.zarr" / "notes.txt").read_text() == "keep"
    monkeypatch.chdir(folder)
    assert main(["score", data, "--out", str(folder), "--overwrite"]) == 2


def test_report_keeps_existing_files(scored, capsys):
    folder, _, out = scored
    precious = folder / "photo.png"
    precious.write_text("precious")
    code = main(["report", out, "--out", str(precious), "--workers", "1"])
    assert code == 2
    assert "exists already" in capsys.readouterr().err
    assert precious.read_text() == "precious"
    code = main(
        ["report", out, "--out", str(precious), "--overwrite", "--workers", "1"]
    )
    assert code == 0
    assert precious.read_bytes().startswith(b"\x89PNG")


def test_report_needs_parent_folder(scored, capsys):
    folder, _, out = scored
    code = main(
        ["report", out, "--out", str(folder / "no" / "r.png"), "--workers", "1"]
    )
    assert code == 2
    assert "parent folder" in capsys.readouterr().err
    assert not os.path.exists(folder / "no")


def test_ridge_messages_show_the_fix():
    with pytest.raises(dl.InvalidRidgeError, match=r"as in 'rel:0.01'"):
        dl.parse_ridge("rel:")
    with pytest.raises(dl.InvalidRidgeError, match=r"> 0, as in 'deff:50'"):
        dl.parse_ridge("deff:0")
    with pytest.raises(dl.InvalidRidgeError, match=r"'deff:1e9'"):
        dl.leverage_scores(np.eye(4), ridge="deff:1e9")


def test_demo_keeps_foreign_folders(tmp_path, capsys):
    mine = tmp_path / "digits.zarr"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["demo", "--dir", str(tmp_path), "--workers", "1"]) == 2
    assert "is not the digits store of dleverage demo" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "keep"
