"""Writing files atomically: a temporary file in the destination folder, then a rename.

A reader never sees a half-written output, and a failed write leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` that becomes ``path`` when the block succeeds.

    The temporary path does not exist when the block starts (some writers, such as GDAL's
    GeoPackage driver, refuse an existing empty file) and keeps the suffix of ``path`` (so
    that drivers chosen by suffix work).  On an exception it is removed and the exception
    propagates; ``path`` is untouched.

    Examples
    --------
    >>> with atomic_path("out/table.csv") as tmp:
    ...     _ = tmp.write_text("a,b")
    >>> Path("out/table.csv").read_text()
    'a,b'
    >>> sorted(p.name for p in Path("out").iterdir())   # no temporary file is left
    ['table.csv']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    os.remove(name)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
