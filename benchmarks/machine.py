"""The machine a benchmark ran on, in one line, for the printed results."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version


def describe(*packages: str) -> str:
    """CPU model, usable cores, load average, memory, OS, Python and the versions of ``packages``."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), model)
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for name in ("numpy", "numba", *packages):
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} absent")
    return (
        f"{model}; {cores} usable cores; load average {load:.2f} at start; RAM {ram:.0f} GiB; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; {', '.join(versions)}"
    )
