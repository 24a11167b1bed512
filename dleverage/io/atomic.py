"""Create a local Zarr group under a temporary name and rename it into place.

A writer fills the temporary folder; only when it returns without error is the
folder renamed to the target, so a failed or interrupted write leaves no group at
the target. Remote locations are written in place, and only the completion marker
the writer puts in the attrs last tells a finished group from a failed one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator

import zarr

from dleverage.errors import (
    IncompleteOutputError,
    InvalidInputError,
    OutputExistsError,
)
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = [
    "atomic_output",
    "open_complete_group",
    "check_target",
    "remove_when_quiet",
    "replace_folder",
    "require_location",
]

logger = logging.getLogger(__name__)


def open_complete_group(
    path: str | os.PathLike[str], *, format_tag: str, kind: str, rerun: str
) -> zarr.Group:
    """Open a group read-only, checking its format tag and completion marker.

    Parameters
    ----------
    format_tag : str
        Expected ``attrs["dleverage"]["format"]``.
    kind : str
        What the group is, for messages (``"score store"``).
    rerun : str
        The sentence that tells how to make the group again.

    Raises
    ------
    InvalidInputError
        If nothing is found at ``path``.
    IncompleteOutputError
        If the format tag differs or the completion marker is missing.
    """
    where = redact_url(path)
    try:
        group = zarr.open_group(os.fspath(path), mode="r")
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"No {kind} found at {where!r}.") from exc
    meta = group.attrs.get("dleverage")
    if not isinstance(meta, dict) or meta.get("format") != format_tag:
        raise IncompleteOutputError(
            f"{where!r} is not a dleverage {kind} (no attrs['dleverage'] of "
            f"format {format_tag})."
        )
    if not meta.get("complete"):
        raise IncompleteOutputError(f"The {kind} {where!r} is incomplete. {rerun}")
    return group


def require_location(path: str | os.PathLike[str]) -> str:
    """Return ``path`` as a string, rejecting an empty one.

    Raises
    ------
    InvalidInputError
        If ``path`` is empty or only white space (it would mean the current folder).
    """
    location = os.fspath(path)
    if not location.strip():
        raise InvalidInputError(
            "The output path is empty. Give the path of the output to create, such "
            "as scores.zarr."
        )
    return location


def check_target(
    target: str,
    *,
    overwrite: bool,
    is_replaceable: Callable[[str], bool],
    shown: str | None = None,
) -> None:
    """Check that an output may be written at ``target``, a local path or a URL.

    Raises
    ------
    OutputExistsError
        If ``target`` exists and ``overwrite`` is False, or ``is_replaceable``
        returns False for it (what dleverage did not write is never replaced).
    InvalidInputError
        If the parent folder of a local ``target`` does not exist.
    """
    shown = target if shown is None else shown
    local = is_local(target)
    if local:
        here = os.getcwd()
        if here == target or here.startswith(target.rstrip(os.sep) + os.sep):
            raise InvalidInputError(
                f"The output {shown!r} is the current folder or contains it. Give "
                "the path of a new store, such as scores.zarr."
            )
        parent = os.path.dirname(target)
        if not os.path.isdir(parent):
            raise InvalidInputError(
                f"The parent folder {parent!r} of the output does not exist. Create "
                "it first."
            )
        if not os.path.exists(target):
            return
    if not overwrite:
        raise OutputExistsError(
            f"The output {shown!r} exists already. Choose another path or pass "
            "overwrite=True (--overwrite) to replace it."
        )
    if not is_replaceable(target):
        raise OutputExistsError(
            f"The output {shown!r} exists and is not a dleverage store of this kind, "
            "so it is not replaced. Choose another path."
        )


def replace_folder(temporary: str, target: str) -> None:
    """Rename ``temporary`` to ``target``, removing an earlier ``target`` after."""
    if not os.path.exists(target):
        os.rename(temporary, target)
        return
    retired = f"{temporary}.old-{uuid.uuid4().hex[:12]}"
    os.rename(target, retired)
    os.rename(temporary, target)
    shutil.rmtree(retired, ignore_errors=True)


def remove_when_quiet(
    folder: str, *, quiet_seconds: float = 1.0, timeout: float = 60.0
) -> None:
    """Remove ``folder``, and again whatever in-flight tasks write into it later.

    When one block fails, Dask raises at once while tasks already running on other
    threads or workers go on and may write their chunk after a first removal. The
    folder counts as gone once it has stayed absent for ``quiet_seconds``.
    """
    deadline = time.monotonic() + timeout
    absent_since: float | None = None
    while time.monotonic() < deadline:
        if os.path.exists(folder):
            shutil.rmtree(folder, ignore_errors=True)
            absent_since = None
        elif absent_since is None:
            absent_since = time.monotonic()
        elif time.monotonic() - absent_since >= quiet_seconds:
            return
        time.sleep(0.05)
    logger.error("could not remove the folder %s of a failed write", folder)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str],
    *,
    overwrite: bool,
    is_replaceable: Callable[[str], bool],
) -> Iterator[str]:
    """Yield the location to write, and move it to ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or path-like
        Local path or fsspec URL of the group to create.
    overwrite : bool
        Replace an existing output, but only one for which ``is_replaceable``
        returns True.
    is_replaceable : callable
        ``is_replaceable(local_path) -> bool``: whether an existing output may be
        replaced (for example, it is a group of the same format).

    Yields
    ------
    str
        A hidden temporary folder beside a local ``path``, or ``path`` itself for a
        remote URL.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False or it may not be replaced.
    InvalidInputError
        If the parent folder of a local ``path`` does not exist.
    """
    location = require_location(path)
    if not is_local(location):
        logger.debug("writing %s in place (remote store)", redact_url(location))
        yield location
        return
    target = local_path(location)
    check_target(target, overwrite=overwrite, is_replaceable=is_replaceable)
    temporary = os.path.join(
        os.path.dirname(target),
        f".{os.path.basename(target)}.tmp-{uuid.uuid4().hex[:12]}",
    )
    try:
        yield temporary
        replace_folder(temporary, target)
    except BaseException:
        remove_when_quiet(temporary)
        raise
    logger.info("wrote %s", target)
