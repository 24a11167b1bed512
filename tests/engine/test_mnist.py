"""MNIST test images through the IDX reader, Zarr, and the engine."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import zarr

import dleverage as dl
from dleverage.io.idx import load_mnist
from dleverage.testing import reference_leverage


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir, split="test")


def test_idx_loader_reads_test_split(mnist):
    images, labels = mnist
    assert images.shape == (10000, 784)
    assert images.dtype == np.uint8
    counts = np.bincount(labels, minlength=10)
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.parametrize("ridge", [0.0, "rel:0.01"])
def test_mnist_scores_match_svd(tmp_path, mnist, ridge):
    images, _ = mnist
    array = zarr.create_array(
        store=tmp_path / "mnist.zarr",
        shape=images.shape,
        chunks=(1000, 784),
        dtype="uint8",
    )
    array[...] = images
    result = dl.leverage_scores(
        dl.open_matrix(str(tmp_path / "mnist.zarr")), ridge=ridge, method="tsqr"
    )
    scores = result.compute()
    x = images.astype(np.float64)
    expected = reference_leverage(x, ridge=result.factor.ridge)
    if ridge == 0.0:
        assert result.factor.rank == np.linalg.matrix_rank(x)
        assert scores.sum() == pytest.approx(result.factor.rank, rel=1e-9)
        # Pixels that are zero in every image make X rank deficient.
        assert result.factor.solver_kind == "pseudoinverse"
        np.testing.assert_allclose(scores, expected, atol=1e-8)
    else:
        np.testing.assert_allclose(scores, expected, rtol=1e-9)
        assert result.factor.ridge == pytest.approx(
            0.01 * np.sum(x**2) / 784, rel=1e-12
        )


def test_idx_reader_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad-idx1-ubyte.gz"
    with gzip.open(bad, "wb") as handle:
        handle.write(b"\x01\x02\x03\x04")
    with pytest.raises(dl.InvalidInputError, match="invalid magic number"):
        dl.read_idx(bad)
    short = tmp_path / "short-idx1-ubyte"
    short.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")
    with pytest.raises(dl.InvalidInputError, match="truncated or corrupt"):
        dl.read_idx(short)
    with pytest.raises(dl.InvalidInputError, match="not found"):
        load_mnist(tmp_path)
