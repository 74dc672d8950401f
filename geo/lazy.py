"""Subpackages whose modules are imported on first use (``borderscape.geo.raster`` after
``import borderscape``), so that importing the package stays fast."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType


def submodules(package: str) -> Callable[[str], ModuleType]:
    """A module ``__getattr__`` for ``package`` that imports ``package.<name>`` when it is asked for.

    An ``AttributeError`` for a name that is no submodule; an error inside the submodule's own
    imports propagates unchanged.
    """

    def __getattr__(name: str) -> ModuleType:
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    return __getattr__
