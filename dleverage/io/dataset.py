"""Dataset stores for ``dleverage update``: appended row batches and their factor.

Layout of a dataset store (local file system only)::

    STORE/                       Zarr v3 group, attrs["dleverage_dataset"] = {format}
      manifest.json              the committed state, replaced atomically
      batches/<batch_id>         rows of one appended batch, shape (m, n_features)
      generations/<g>/factor/    factor of all committed rows (see dleverage.io.output)
      generations/<g>/scores     float64 scores of all rows, in batch order

``manifest.json`` lists the batches in order (id, rows, source, time, and the
generation whose factor scored them) and names the current generation ``g``. It is
written to a temporary file, flushed to disk and renamed over the old one with
``os.replace``, which is atomic on POSIX file systems. Everything an update writes
(the new batch, the next generation) is written before that rename and is not
referenced by the old manifest. A crash at any point therefore leaves the old state
readable, and a later update removes the unreferenced leftovers. Only the store's own
``batches/`` and ``generations/`` entries are ever deleted.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Any

import zarr

from dleverage.errors import DatasetStoreError
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = [
    "DATASET_FORMAT",
    "BatchRecord",
    "Manifest",
    "batch_path",
    "check_batch_id",
    "create_dataset_store",
    "generation_path",
    "read_manifest",
    "remove_unreferenced",
    "staging_path",
    "write_manifest",
]

logger = logging.getLogger(__name__)

#: Format tag of dataset stores; readers check it.
DATASET_FORMAT = "dleverage.dataset/1"

MANIFEST = "manifest.json"
_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_STAGING_PREFIX = ".staging-"


@dataclass(frozen=True)
class BatchRecord:
    """One appended batch: its id, row count, source and when it was scored."""

    id: str
    rows: int
    source: str
    added_utc: str
    scored_generation: int


@dataclass
class Manifest:
    """The committed state of a dataset store (the content of ``manifest.json``)."""

    generation: int
    n_features: int
    chunk_rows: int
    ridge_spec: str
    intercept: bool
    batches: list[BatchRecord] = field(default_factory=list)
    factor: dict[str, Any] = field(default_factory=dict)
    updated_utc: str = ""

    @property
    def n_samples(self) -> int:
        """Rows in all committed batches."""
        return sum(batch.rows for batch in self.batches)

    def has_batch(self, batch_id: str) -> bool:
        """Return True if a batch with this id is committed."""
        return any(batch.id == batch_id for batch in self.batches)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form written to ``manifest.json``."""
        return {
            "format": DATASET_FORMAT,
            "generation": self.generation,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "chunk_rows": self.chunk_rows,
            "ridge_spec": self.ridge_spec,
            "intercept": self.intercept,
            "batches": [batch.__dict__ for batch in self.batches],
            "factor": self.factor,
            "updated_utc": self.updated_utc,
        }


def _store_root(store: str | os.PathLike[str]) -> str:
    location = os.fspath(store)
    if not is_local(location):
        raise DatasetStoreError(
            f"Dataset stores must be on a local or shared file system, got "
            f"{redact_url(location)!r}: the atomic manifest replace needs os.replace."
        )
    return local_path(location)


def batch_path(store: str, batch_id: str) -> str:
    """Return the path of the array that contains batch ``batch_id``."""
    return os.path.join(_store_root(store), "batches", batch_id)


def staging_path(store: str, token: str) -> str:
    """Return the path where a batch is written before its id is known."""
    return os.path.join(_store_root(store), "batches", _STAGING_PREFIX + token)


def generation_path(store: str, generation: int) -> str:
    """Return the path of the group of generation ``generation``."""
    return os.path.join(_store_root(store), "generations", str(generation))


def check_batch_id(batch_id: str) -> str:
    """Return ``batch_id`` if it is a valid batch id.

    Raises
    ------
    DatasetStoreError
        Unless it is 1-64 letters, digits, ``.``, ``_`` or ``-``, starting with a
        letter or digit.
    """
    if not _BATCH_ID.match(batch_id):
        raise DatasetStoreError(
            f"Invalid batch id {batch_id!r}. Use 1 to 64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit."
        )
    return batch_id


def create_dataset_store(store: str) -> str:
    """Create an empty dataset store at ``store`` and return its path.

    Raises
    ------
    DatasetStoreError
        If the parent folder is missing or ``store`` exists already.
    """
    root = _store_root(store)
    parent = os.path.dirname(root)
    if not os.path.isdir(parent):
        raise DatasetStoreError(
            f"The parent folder {parent!r} of the dataset store does not exist. "
            "Create it first."
        )
    if os.path.exists(root):
        raise DatasetStoreError(
            f"{root!r} exists but is not a dataset store (no {MANIFEST}). Choose "
            "another path; an existing folder is never reused."
        )
    group = zarr.open_group(root, mode="w-", zarr_format=3)
    group.attrs["dleverage_dataset"] = {"format": DATASET_FORMAT}
    os.makedirs(os.path.join(root, "batches"))
    os.makedirs(os.path.join(root, "generations"))
    return root


def read_manifest(store: str | os.PathLike[str]) -> Manifest | None:
    """Return the committed state of ``store``, or None if it has no manifest yet.

    Raises
    ------
    DatasetStoreError
        If ``store`` exists and is not a dataset store, or its manifest is invalid.
    """
    root = _store_root(store)
    path = os.path.join(root, MANIFEST)
    if not os.path.exists(path):
        if os.path.exists(root) and not _is_dataset_group(root):
            raise DatasetStoreError(
                f"{root!r} exists and is not a dleverage dataset store. Choose "
                "another path."
            )
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("format") != DATASET_FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        return Manifest(
            generation=int(data["generation"]),
            n_features=int(data["n_features"]),
            chunk_rows=int(data["chunk_rows"]),
            ridge_spec=str(data["ridge_spec"]),
            intercept=bool(data["intercept"]),
            batches=[BatchRecord(**batch) for batch in data["batches"]],
            factor=dict(data["factor"]),
            updated_utc=str(data["updated_utc"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetStoreError(
            f"The manifest {path!r} cannot be read ({exc}). The store is damaged; "
            "restore it from a backup."
        ) from exc


def is_dataset_store(location: str | os.PathLike[str]) -> bool:
    """Return True if ``location`` is a local dataset store of ``dleverage update``."""
    text = os.fspath(location)
    return is_local(text) and _is_dataset_group(local_path(text))


def _is_dataset_group(root: str) -> bool:
    try:
        group = zarr.open_group(root, mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return False
    return "dleverage_dataset" in group.attrs


def write_manifest(store: str, manifest: Manifest) -> None:
    """Commit ``manifest``: write a temporary file, fsync it and rename it over."""
    root = _store_root(store)
    manifest.updated_utc = datetime.datetime.now(datetime.timezone.utc).isoformat()
    temporary = os.path.join(root, f".{MANIFEST}.tmp-{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(manifest.to_json(), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, os.path.join(root, MANIFEST))
    directory = os.open(root, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    logger.info("committed generation %d of %s", manifest.generation, root)


def remove_unreferenced(store: str, manifest: Manifest | None) -> list[str]:
    """Delete batches, staging arrays and generations that ``manifest`` omits.

    Only entries of the store's ``batches/`` and ``generations/`` folders are
    considered, so nothing outside the store is touched. Returns the paths removed.
    """
    root = _store_root(store)
    keep_batches = {b.id for b in manifest.batches} if manifest is not None else set()
    keep_generation = str(manifest.generation) if manifest is not None else None
    removed: list[str] = []
    for folder, keep in (
        ("batches", keep_batches),
        ("generations", {keep_generation}),
    ):
        base = os.path.join(root, folder)
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            if name in keep:
                continue
            path = os.path.join(base, name)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if removed:
        logger.info("removed %d unreferenced entries of %s", len(removed), root)
    return removed
