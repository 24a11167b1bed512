"""Reader for the IDX format of the MNIST files (optionally gzip-compressed)."""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from dleverage.errors import InvalidInputError

__all__ = ["read_idx", "load_mnist"]

# IDX type codes (third byte of the magic number) and their big-endian dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (``.gz`` or plain) into a NumPy array.

    The header is two zero bytes, a type code, the number of dimensions, then one
    big-endian uint32 per dimension.

    Raises
    ------
    InvalidInputError
        If the file is missing, its magic number is not IDX, or its size does not
        match the header.
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError as exc:
        raise InvalidInputError(f"IDX file not found: {path!r}.") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise InvalidInputError(
            f"{path!r} is not an IDX file: invalid magic number {data[:4].hex()!r}."
        )
    dtype = _IDX_DTYPES[data[2]]
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise InvalidInputError(
            f"{path!r} contains {len(data) - header} data bytes, but its header "
            f"shape {shape} needs {expected}. The file is truncated or corrupt."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def load_mnist(
    directory: str | os.PathLike[str], *, split: str = "test"
) -> tuple[np.ndarray, np.ndarray]:
    """Load one MNIST split from a folder of IDX files.

    Parameters
    ----------
    directory : str or path-like
        Folder holding ``train-images-idx3-ubyte[.gz]`` and
        ``train-labels-idx1-ubyte[.gz]`` (``split="train"``) or the ``t10k-`` files
        (``split="test"``).
    split : {"train", "test"}, default="test"

    Returns
    -------
    images : ndarray of shape (n_samples, 784), dtype uint8
    labels : ndarray of shape (n_samples,), dtype uint8
    """
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise InvalidInputError(
            f"Invalid MNIST split {split!r}. Expected 'train' or 'test'."
        )
    found = {}
    for kind, magic_dims in (("images", "idx3"), ("labels", "idx1")):
        base = os.path.join(os.fspath(directory), f"{prefix}-{kind}-{magic_dims}-ubyte")
        for candidate in (base + ".gz", base):
            if os.path.exists(candidate):
                found[kind] = candidate
                break
        else:
            raise InvalidInputError(
                f"MNIST {split} {kind} not found: expected {base}[.gz] in "
                f"{directory!r}."
            )
    images = read_idx(found["images"])
    labels = read_idx(found["labels"])
    if images.shape[0] != labels.shape[0]:
        raise InvalidInputError(
            f"MNIST {split} split has {images.shape[0]} images but "
            f"{labels.shape[0]} labels."
        )
    return images.reshape(images.shape[0], -1), labels
