"""Example datasets written to Zarr: scikit-learn's digits, shipped with the package."""

from __future__ import annotations

import os

import numpy as np
import zarr

__all__ = ["write_digits"]


def write_digits(directory: str | os.PathLike[str], *, chunk_rows: int = 256) -> str:
    """Write scikit-learn's digits (1,797 images of 8 x 8 pixels) to a Zarr group.

    The group ``DIRECTORY/digits.zarr`` holds ``X`` (float32, shape (1797, 64),
    pixel intensities 0-16, row chunks of ``chunk_rows``) and ``y`` (int64 labels).

    Returns
    -------
    str
        Path of the group.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    path = os.path.join(os.fspath(directory), "digits.zarr")
    group = zarr.open_group(path, mode="w", zarr_format=3)
    features = digits.data.astype(np.float32)
    x = group.create_array(
        "X",
        shape=features.shape,
        chunks=(chunk_rows, features.shape[1]),
        dtype="float32",
    )
    x[...] = features
    y = group.create_array(
        "y", shape=digits.target.shape, chunks=(chunk_rows,), dtype="int64"
    )
    y[...] = digits.target
    group.attrs["description"] = "scikit-learn digits: 8x8 images, intensities 0-16"
    return path
