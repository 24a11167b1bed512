"""Helpers for store locations given as paths or fsspec URLs."""

from __future__ import annotations

import os
import re
import urllib.parse

__all__ = ["is_local", "local_path", "redact_url"]

_SECRET_QUERY_KEYS = {"token", "key", "secret", "password", "sig", "signature"}

# "user:password@" after a slash, a bracket or a space: the user info of a URL that
# a store printed as a path (fsspec's memory and local file systems keep it there).
_PATH_USERINFO = re.compile(r"(?<=[/(\s])[^/@\s:()]+:[^/@\s()]+@")


def redact_url(location: str | os.PathLike[str]) -> str:
    """Return ``location`` with any user name, password or secret query value removed.

    Store URLs may carry credentials (``s3://KEY:SECRET@bucket/x.zarr`` or a signed
    ``?sig=...`` query); this form is the one that may go into logs and attrs.
    """
    text = _PATH_USERINFO.sub("***@", os.fspath(location))
    parts = urllib.parse.urlsplit(text)
    if not parts.scheme or len(parts.scheme) == 1:  # plain path or a Windows drive
        return text
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if "@" in parts.netloc:
        netloc = "***@" + netloc
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [
        (k, "***" if any(s in k.lower() for s in _SECRET_QUERY_KEYS) else v)
        for k, v in query
    ]
    return urllib.parse.urlunsplit(
        (parts.scheme, netloc, parts.path, urllib.parse.urlencode(query), "")
    )


def is_local(location: str | os.PathLike[str]) -> bool:
    """Return True if ``location`` is a file system path or a ``file://`` URL."""
    scheme = urllib.parse.urlsplit(os.fspath(location)).scheme
    return scheme in ("", "file") or len(scheme) == 1


def local_path(location: str | os.PathLike[str]) -> str:
    """Return the absolute file system path of a local ``location``."""
    text = os.fspath(location)
    if text.startswith("file://"):
        text = urllib.parse.urlsplit(text).path
    return os.path.abspath(text)
