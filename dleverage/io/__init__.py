"""Reading matrices from Zarr, NumPy and Dask, and writing results atomically."""

from dleverage.io.idx import read_idx
from dleverage.io.info import describe_array
from dleverage.io.matrix import open_matrix

__all__ = ["describe_array", "open_matrix", "read_idx"]
