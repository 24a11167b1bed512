"""Unsafe Zarr inputs, credentials in store URLs, and deleting only what a run made."""

from __future__ import annotations

import json
import logging
import os

import numcodecs
import numpy as np
import pytest
import zarr

from dleverage import (
    InvalidInputError,
    OutputExistsError,
    UnsupportedDtypeError,
    leverage_scores,
    open_matrix,
)
from dleverage.cli.main import main
from dleverage.io.output import partial_path
from dleverage.io.urls import redact_url

SECRET = "s3cret-pass"


def _pickle_v2_store(path, *, dtype: str, as_compressor: bool) -> str:
    """A Zarr v2 array whose only chunk is a real pickle payload."""
    os.makedirs(path)
    pickle = {"id": "pickle", "protocol": 4}
    metadata = {
        "zarr_format": 2,
        "shape": [2, 2],
        "chunks": [2, 2],
        "dtype": dtype,
        "compressor": pickle if as_compressor else None,
        "filters": None if as_compressor else [pickle],
        "fill_value": None,
        "order": "C",
        "dimension_separator": ".",
    }
    with open(os.path.join(path, ".zarray"), "w") as handle:
        json.dump(metadata, handle)
    payload = numcodecs.Pickle().encode(
        np.array([[1.0, 2.0], [3.0, 4.0]], dtype=object)
    )
    with open(os.path.join(path, "0.0"), "wb") as handle:
        handle.write(payload)
    return str(path)


@pytest.mark.parametrize(
    ("dtype", "as_compressor"),
    [("|O", False), ("<f8", True), ("<f8", False)],
    ids=["object-pickle-filter", "float-pickle-compressor", "float-pickle-filter"],
)
def test_pickle_codec_v2_rejected(tmp_path, dtype, as_compressor):
    path = _pickle_v2_store(
        tmp_path / "x.zarr", dtype=dtype, as_compressor=as_compressor
    )
    with pytest.raises(UnsupportedDtypeError, match="uses the pickle codec, which"):
        open_matrix(path)


def test_pickle_codec_in_group_rejected(tmp_path):
    zarr.open_group(str(tmp_path / "g.zarr"), mode="w", zarr_format=2)
    _pickle_v2_store(tmp_path / "g.zarr" / "X", dtype="|O", as_compressor=False)
    with pytest.raises(UnsupportedDtypeError, match=r"g\.zarr' uses the pickle"):
        open_matrix(str(tmp_path / "g.zarr"), component="X")


def test_object_dtype_v2_rejected(tmp_path):
    path = str(tmp_path / "strings.zarr")
    array = zarr.create_array(path, shape=(3, 2), dtype=str, zarr_format=2)
    array[...] = np.array([["a", "b"], ["c", "d"], ["e", "f"]])
    assert json.load(open(os.path.join(path, ".zarray")))["dtype"] == "|O"
    with pytest.raises(UnsupportedDtypeError, match="has object dtype, which cannot"):
        open_matrix(path)


def test_numeric_v2_store_accepted(tmp_path):
    path = str(tmp_path / "ok.zarr")
    values = np.arange(12.0).reshape(6, 2)
    array = zarr.create_array(path, shape=values.shape, dtype="float64", zarr_format=2)
    array[...] = values
    assert np.array_equal(open_matrix(path).compute(), values)


def test_cli_rejects_pickle_store(tmp_path, capsys):
    path = _pickle_v2_store(tmp_path / "x.zarr", dtype="|O", as_compressor=False)
    out = tmp_path / "scores.zarr"
    assert main(["score", path, "--out", str(out), "--workers", "1"]) == 2
    assert "uses the pickle codec" in capsys.readouterr().err
    assert not out.exists()


def test_credentials_never_logged(caplog):
    url = f"memory://analyst:{SECRET}@bucket/features.zarr"
    values = np.random.default_rng(5).normal(size=(200, 3))
    array = zarr.create_array(url, shape=values.shape, chunks=(50, 3), dtype="float64")
    array[...] = values
    caplog.set_level(logging.DEBUG)
    result = leverage_scores(open_matrix(url))
    assert result.input["path"] == "memory://***@bucket/features.zarr"
    out = f"memory://analyst:{SECRET}@bucket/scores.zarr"
    assert result.to_zarr(out) == "memory://***@bucket/scores.zarr"
    stored = zarr.open_group(out, mode="r").attrs["dleverage"]
    assert SECRET not in json.dumps(stored)
    missing = f"memory://analyst:{SECRET}@bucket/absent.zarr"
    with pytest.raises(InvalidInputError) as error:
        open_matrix(missing)
    assert SECRET not in str(error.value)
    assert "memory://***@bucket/absent.zarr" in str(error.value)
    # fsspec's memory file system keeps "analyst:...@bucket" as a plain path and
    # logs it at DEBUG; only dleverage's own loggers are checked here.
    ours = [r for r in caplog.records if r.name.startswith("dleverage")]
    assert ours
    assert all(SECRET not in record.getMessage() for record in ours)


def test_partial_location_of_user_kept(tmp_path):
    target = str(tmp_path / "scores.zarr")
    os.makedirs(partial_path(target))
    keep = os.path.join(partial_path(target), "notes.txt")
    open(keep, "w").write("not dleverage's")
    x = np.random.default_rng(6).normal(size=(40, 2))
    with pytest.raises(OutputExistsError, match="is left alone"):
        leverage_scores(x).to_zarr(target)
    assert open(keep).read() == "not dleverage's"
    assert not os.path.exists(target)


def test_overwrite_keeps_foreign_folder(tmp_path):
    target = tmp_path / "scores.zarr"
    target.mkdir()
    (target / "data.csv").write_text("1,2\n")
    x = np.random.default_rng(7).normal(size=(40, 2))
    with pytest.raises(OutputExistsError, match="is not a dleverage store"):
        leverage_scores(x).to_zarr(str(target), overwrite=True)
    assert (target / "data.csv").read_text() == "1,2\n"
    assert sorted(os.listdir(tmp_path)) == ["scores.zarr"]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("s3://KEY:SECRET@bucket/x.zarr", "s3://***@bucket/x.zarr"),
        (
            "<FsspecStore(AsyncFileSystemWrapper, /user:pw@bucket/x.zarr)>",
            "<FsspecStore(AsyncFileSystemWrapper, /***@bucket/x.zarr)>",
        ),
        ("/data/2026-12-01T00:00:00/x.zarr", "/data/2026-12-01T00:00:00/x.zarr"),
        ("https://h/x.zarr?sig=abc&v=1", "https://h/x.zarr?sig=%2A%2A%2A&v=1"),
    ],
)
def test_redact_url_cases(location, expected):
    assert redact_url(location) == expected
