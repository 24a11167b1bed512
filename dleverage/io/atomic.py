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
import uuid
from collections.abc import Callable, Iterator

from dleverage.errors import InvalidInputError, OutputExistsError
from dleverage.io.urls import is_local, local_path, redact_url

__all__ = ["atomic_output"]

logger = logging.getLogger(__name__)


def _check_target(
    target: str, overwrite: bool, is_replaceable: Callable[[str], bool]
) -> None:
    if os.path.exists(target):
        if not overwrite:
            raise OutputExistsError(
                f"The output {target!r} exists already. Choose another path or pass "
                "overwrite=True (--overwrite) to replace it."
            )
        if not is_replaceable(target):
            raise OutputExistsError(
                f"The output {target!r} exists and was not written by this dleverage "
                "command, so it is not replaced. Choose another path."
            )
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise InvalidInputError(
            f"The parent folder {parent!r} of the output does not exist. Create it "
            "first."
        )


def _replace(temporary: str, target: str) -> None:
    if not os.path.exists(target):
        os.rename(temporary, target)
        return
    retired = f"{temporary}.old"
    os.rename(target, retired)
    os.rename(temporary, target)
    shutil.rmtree(retired, ignore_errors=True)


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
    location = os.fspath(path)
    if not is_local(location):
        logger.debug("writing %s in place (remote store)", redact_url(location))
        yield location
        return
    target = local_path(location)
    _check_target(target, overwrite, is_replaceable)
    temporary = os.path.join(
        os.path.dirname(target),
        f".{os.path.basename(target)}.tmp-{uuid.uuid4().hex[:12]}",
    )
    try:
        yield temporary
        _replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    logger.info("wrote %s", target)
