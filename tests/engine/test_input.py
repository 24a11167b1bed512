"""open_matrix on Zarr v2/v3 stores, groups, shards, NumPy and Dask, and bad input."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import zarr

import dleverage as dl
from dleverage.testing import reference_leverage


@pytest.fixture
def matrix(rng):
    return rng.standard_normal((2000, 9))


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarr_path_round_trip(tmp_path, matrix, zarr_format):
    path = tmp_path / "x.zarr"
    array = zarr.create_array(
        store=path,
        shape=matrix.shape,
        chunks=(300, 9),
        dtype="f8",
        zarr_format=zarr_format,
    )
    array[...] = matrix
    x = dl.open_matrix(str(path), chunks=300)
    assert x.chunks[0][0] == 300
    result = dl.leverage_scores(x)
    np.testing.assert_allclose(result.compute(), reference_leverage(matrix), rtol=1e-10)
    assert result.input["path"] == str(path)


def test_zarr_group_needs_component(tmp_path, matrix):
    group = zarr.open_group(tmp_path / "g.zarr", mode="w")
    group.create_array("a", shape=matrix.shape, dtype="f8")[...] = matrix
    group.create_array("b", shape=(3,), dtype="f8")
    with pytest.raises(
        dl.InvalidInputError, match=r"arrays \['a', 'b'\]; pass component"
    ):
        dl.open_matrix(str(tmp_path / "g.zarr"))
    x = dl.open_matrix(str(tmp_path / "g.zarr"), component="a")
    assert x.shape == matrix.shape
    with pytest.raises(dl.InvalidInputError, match="No array 'c'"):
        dl.open_matrix(str(tmp_path / "g.zarr"), component="c")


def test_sharded_array_reads_whole_shards(tmp_path, matrix):
    array = zarr.create_array(
        store=tmp_path / "s.zarr",
        shape=matrix.shape,
        chunks=(50, 9),
        shards=(500, 9),
        dtype="f8",
    )
    array[...] = matrix
    x = dl.open_matrix(str(tmp_path / "s.zarr"))
    # Default blocks are whole shards grouped to ~64 MiB, never single inner chunks.
    assert x.chunks[0][0] % 500 == 0
    small = dl.open_matrix(str(tmp_path / "s.zarr"), chunks=500)
    assert small.numblocks == (4, 1)
    np.testing.assert_allclose(
        dl.leverage_scores(small).compute(), reference_leverage(matrix), rtol=1e-10
    )


def test_column_chunked_zarr(tmp_path, matrix):
    array = zarr.create_array(
        store=tmp_path / "c.zarr", shape=matrix.shape, chunks=(400, 2), dtype="f4"
    )
    array[...] = matrix
    x = dl.open_matrix(str(tmp_path / "c.zarr"), chunks=400)
    assert x.chunks[1] == (9,)
    expected = reference_leverage(matrix.astype(np.float32).astype(np.float64))
    np.testing.assert_allclose(dl.leverage_scores(x).compute(), expected, rtol=1e-10)


def test_dask_column_chunks_are_merged(matrix):
    x = dl.open_matrix(da.from_array(matrix, chunks=(100, 3)))
    assert x.chunks[1] == (9,)


def test_missing_path_is_named(tmp_path):
    with pytest.raises(dl.InvalidInputError, match="No Zarr array or group found"):
        dl.open_matrix(str(tmp_path / "missing.zarr"))


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((10,), r"Expected a 2-D input matrix .* got 1-D .* x.reshape\(-1, 1\)"),
        ((2, 3, 4), "got 3-D shape"),
        ((10, 0), "no columns"),
    ],
)
def test_bad_shapes_are_rejected(shape, message):
    with pytest.raises(dl.InvalidInputError, match=message):
        dl.open_matrix(np.zeros(shape))


@pytest.mark.parametrize("dtype", [object, "U3", "complex128", "datetime64[s]"])
def test_non_numeric_dtypes_are_rejected(dtype):
    with pytest.raises(dl.UnsupportedDtypeError, match="Unsupported dtype"):
        dl.open_matrix(np.zeros((4, 2), dtype=dtype))


def test_string_zarr_is_rejected(tmp_path):
    array = zarr.create_array(store=tmp_path / "t.zarr", shape=(4, 2), dtype=str)
    with pytest.raises(dl.UnsupportedDtypeError, match="Unsupported dtype"):
        dl.open_matrix(array)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_names_first_row(rng, bad):
    x = rng.standard_normal((1000, 4))
    x[613, 2] = bad
    x[870, 0] = bad
    for method in ("tsqr", "gram", "auto"):
        with pytest.raises(
            dl.NonFiniteInputError, match="Row 613 of the input"
        ) as info:
            dl.leverage_scores(dl.open_matrix(x, chunks=100), method=method)
        assert info.value.row == 613


def test_non_finite_row_with_unknown_chunks(rng):
    x = rng.standard_normal((1000, 4))
    x[505, 1] = np.nan
    d = da.from_array(x, chunks=(128, 4))
    d = d[np.ones(1000, dtype=bool)]
    with pytest.raises(dl.NonFiniteInputError, match="Row 505"):
        dl.leverage_scores(d)


def test_empty_matrix_is_rejected():
    with pytest.raises(dl.InvalidInputError, match="no rows"):
        dl.leverage_scores(np.zeros((0, 3)))


@pytest.mark.parametrize(
    ("ridge", "message"),
    [
        (-1.0, "must be finite and >= 0"),
        ("rel:-0.1", "must be finite and >= 0"),
        ("foo:1", "unknown prefix 'foo'"),
        ("rel:abc", "'abc' is not a number"),
        ("deff:0", "must be > 0"),
        (float("nan"), "must be finite"),
        (True, "expected a number or string"),
    ],
)
def test_bad_ridge_is_rejected(ridge, message):
    with pytest.raises(dl.InvalidRidgeError, match=message):
        dl.parse_ridge(ridge)


def test_deff_at_or_above_rank_is_rejected(rng):
    x = rng.standard_normal((100, 5))
    with pytest.raises(dl.InvalidRidgeError, match="strictly between 0 and the rank 5"):
        dl.leverage_scores(x, ridge="deff:5")
    with pytest.raises(dl.InvalidRidgeError, match="at least 1"):
        dl.leverage_scores(x, ridge="deff:1", intercept=True)


def test_unknown_method_is_rejected(rng):
    with pytest.raises(dl.InvalidInputError, match="Invalid method 'qr'"):
        dl.leverage_scores(rng.standard_normal((10, 2)), method="qr")


def test_errors_are_value_errors():
    assert issubclass(dl.DleverageError, ValueError)
    with pytest.raises(ValueError):
        dl.parse_ridge("rel:x")


def test_credentials_are_redacted_from_fingerprint():
    from dleverage.io.urls import redact_url

    url = "s3://AKIDEXAMPLE:s3cr3t@bucket/data.zarr?sig=abc123&region=eu"
    shown = redact_url(url)
    assert "s3cr3t" not in shown
    assert "AKIDEXAMPLE" not in shown
    assert "abc123" not in shown
    assert shown.startswith("s3://***@bucket/data.zarr?")
    assert "region=eu" in shown
    assert redact_url("/data/x.zarr") == "/data/x.zarr"
