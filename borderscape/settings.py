"""Global defaults of borderscape, read from environment variables at import.

Change them for a session by assignment, as in osmnx::

    import borderscape.settings as settings
    settings.data_dir = "/data/mirror"
    settings.timeout = 120

The face (command line and public API) reads these values and passes them down as keyword
arguments to the functions of :mod:`borderscape.layers`, which never read this module.
Arguments given explicitly (``--data-dir``, ``--cache-dir``) win over these defaults.

Attributes
----------
data_dir : pathlib.Path or None
    Local mirror folder searched for source files (``BORDERSCAPE_DATA``); None: no mirror.
cache_dir : pathlib.Path
    Download cache (``BORDERSCAPE_CACHE``, else ``$XDG_CACHE_HOME/borderscape``, else
    ``~/.cache/borderscape``).
timeout : float
    Seconds to wait for a server to connect and for each read (``BORDERSCAPE_TIMEOUT``,
    default 60).
retries : int
    Extra attempts after a failed download attempt (``BORDERSCAPE_RETRIES``, default 3).
backoff : float
    Seconds before the first retry, doubled for each further one (``BORDERSCAPE_BACKOFF``,
    default 1).
progress : bool or None
    Show progress bars: True always, False never, None (default) only when standard error is
    a terminal (``BORDERSCAPE_PROGRESS`` = ``1``/``0``; unset or ``auto`` gives None).
"""

from __future__ import annotations

import os
from pathlib import Path

from borderscape.errors import InputError
from borderscape.layers.fetch import data_dir_from_env, default_cache_dir


def _number(name: str, default: float, kind: type) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise InputError(
            f"the environment variable {name}={raw!r} is not a number",
            remedy=f"set {name} to a number or unset it (default {default})",
        ) from None
    if value < 0:
        raise InputError(f"the environment variable {name}={raw!r} is negative", remedy=f"set {name} to a number >= 0")
    return value


def _progress() -> bool | None:
    raw = os.environ.get("BORDERSCAPE_PROGRESS", "").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    return None


data_dir: Path | None = data_dir_from_env()
cache_dir: Path = default_cache_dir()
timeout: float = _number("BORDERSCAPE_TIMEOUT", 60.0, float)
retries: int = int(_number("BORDERSCAPE_RETRIES", 3, int))
backoff: float = _number("BORDERSCAPE_BACKOFF", 1.0, float)
progress: bool | None = _progress()
