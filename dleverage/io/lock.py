"""An exclusive lock file beside an output path, so two runs never write one output.

The lock of ``DIR/NAME`` is the file ``DIR/.NAME.lock``. It holds a JSON record of
the process that owns it (pid, host name and start time) and is created as a hard
link to a fully written private file, which is atomic on local file systems and
fails when the lock exists, like ``O_EXCL``. It is removed when the run ends, also
when the run fails with an exception.

A run killed with SIGKILL leaves its lock behind. Such a stale lock is detected and
replaced only when it was written on this host and its pid no longer runs. A lock
from another host is never broken automatically; the error message names the file
to delete once that run is known to be gone. Locks are re-entrant within one
process, so the command line can take the lock before pass 1 and the writer can
take it again.

NOTE: the lock covers local paths only. Object stores have no atomic create on all
backends, so remote outputs are not locked.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator

from dleverage.errors import InvalidInputError, OutputLockedError
from dleverage.io.urls import is_local, local_path

__all__ = ["lock_path", "output_lock"]

logger = logging.getLogger(__name__)

_HELD: dict[str, int] = {}
_HELD_GUARD = threading.Lock()

_LOCK_FORMAT = "dleverage.lock/1"


def lock_path(target: str) -> str:
    """Return the lock file path of the local output ``target``."""
    target = local_path(target)
    return os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.lock")


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_owner(path: str) -> dict[str, object] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            owner = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(owner, dict) or owner.get("format") != _LOCK_FORMAT:
        return None
    return owner


def _create(path: str) -> bool:
    # The record is written to a private file first and hard-linked to ``path``:
    # link() fails if ``path`` exists, as O_EXCL does, and readers never see a
    # lock file without its record.
    record = {
        "format": _LOCK_FORMAT,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    private = f"{path}.{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        descriptor = os.open(private, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileNotFoundError as exc:
        raise InvalidInputError(
            f"The parent folder {os.path.dirname(path)!r} of the output does not "
            "exist. Create it first."
        ) from exc
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.link(private, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(private)
    return True


def _acquire(path: str, target: str) -> None:
    if _create(path):
        return
    owner = _read_owner(path)
    if owner is None:
        raise OutputLockedError(
            f"The output {target!r} is locked by {path!r}, which is not a dleverage "
            "lock file or is being written. Wait and retry, or delete the file if no "
            "other run writes this output."
        )
    host, pid = owner.get("host"), owner.get("pid")
    stale = host == socket.gethostname() and isinstance(pid, int)
    stale = stale and not _pid_running(int(pid))  # type: ignore[arg-type]
    if not stale:
        raise OutputLockedError(
            f"The output {target!r} is locked by another run (pid {pid} on host "
            f"{host}, started {owner.get('started_utc')}). Wait for it to finish; "
            f"if that run is gone, delete {path!r} and retry."
        )
    logger.warning(
        "replacing stale lock %s of pid %s on %s, which no longer runs", path, pid, host
    )
    os.remove(path)
    if not _create(path):
        raise OutputLockedError(
            f"The output {target!r} was locked by another run while its stale lock "
            f"{path!r} was being replaced. Wait for that run to finish."
        )


@contextlib.contextmanager
def output_lock(target: str | os.PathLike[str]) -> Iterator[str | None]:
    """Hold the lock of the output ``target`` for the duration of a ``with`` block.

    Yields
    ------
    str or None
        The lock file path, or None for a remote output (not locked).

    Raises
    ------
    OutputLockedError
        If another live run holds the lock.
    """
    location = os.fspath(target)
    if not is_local(location):
        yield None
        return
    path = lock_path(location)
    with _HELD_GUARD:
        depth = _HELD.get(path, 0)
        if depth == 0:
            _acquire(path, local_path(location))
        _HELD[path] = depth + 1
    try:
        yield path
    finally:
        with _HELD_GUARD:
            _HELD[path] -= 1
            if _HELD[path] == 0:
                del _HELD[path]
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
