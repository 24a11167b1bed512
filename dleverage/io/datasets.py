"""Example datasets written to Zarr: scikit-learn's digits, shipped with the package."""

from __future__ import annotations

import os

import numpy as np
import zarr

from dleverage.errors import OutputExistsError

__all__ = ["write_digits"]

_DESCRIPTION = "scikit-learn digits: 8x8 images, intensities 0-16"


def write_digits(directory: str | os.PathLike[str], *, chunk_rows: int = 256) -> str:
    """Write scikit-learn's digits (1,797 images of 8 x 8 pixels) to a Zarr group.

    The group ``DIRECTORY/digits.zarr`` holds ``X`` (float32, shape (1797, 64),
    pixel intensities 0-16, row chunks of ``chunk_rows``) and ``y`` (int64 labels).

    Returns
    -------
    str
        Path of the group.

    Raises
    ------
    OutputExistsError
        If ``DIRECTORY/digits.zarr`` exists and was not written by this function,
        so a folder of the user's is never replaced.
    """
    from sklearn.datasets import load_digits

    path = os.path.join(os.fspath(directory), "digits.zarr")
    if os.path.exists(path) and not _is_digits_store(path):
        raise OutputExistsError(
            f"{path!r} exists and is not the digits store of dleverage demo, so it "
            "is not replaced. Choose another --dir."
        )
    digits = load_digits()
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
    group.attrs["description"] = _DESCRIPTION
    return path


def _is_digits_store(path: str) -> bool:
    try:
        group = zarr.open_group(path, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    return group.attrs.get("description") == _DESCRIPTION
