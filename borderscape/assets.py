"""Third-party front-end files the maps use, read at run time from installed XStatic packages.

Nothing third-party is committed in this repository: Leaflet, Leaflet.markercluster,
Leaflet.GestureHandling and jQuery (which folium's popups call) come as plain files inside their
XStatic packages on PyPI, and :func:`asset_text` reads them with :mod:`importlib.resources`.
A self-contained map inlines them (CSS images as ``data:`` URIs); a map written with its files
beside it gets copies (:func:`copy_assets`).  folium and branca name CDN addresses for the same
files; :func:`local_name` maps such an address to the file here by its file name.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from borderscape.errors import BorderscapeError


@dataclass(frozen=True)
class Asset:
    """One front-end file of an XStatic package.

    Attributes
    ----------
    package
        The Python package holding it (``xstatic.pkg.leaflet`` …).
    path
        Its path inside the package's ``data/`` folder.
    library
        Name and version of the library, for the map's credits.
    licence
        Its licence.
    """

    package: str
    path: str
    library: str
    licence: str


_LEAFLET = ("xstatic.pkg.leaflet", "Leaflet 1.9 (© Volodymyr Agafonkin and contributors)", "BSD-2-Clause")
_CLUSTER = ("xstatic.pkg.leaflet_markercluster", "Leaflet.markercluster 1.4 (© Dave Leaver)", "MIT")
_GESTURE = ("xstatic.pkg.leaflet_gesturehandling", "Leaflet.GestureHandling 1.2 (© Andy Marquis)", "MIT")
_JQUERY = ("xstatic.pkg.jquery", "jQuery 3 (© OpenJS Foundation)", "MIT")

#: File name (as folium's and branca's CDN addresses end) → the installed file.
ASSETS: dict[str, Asset] = {
    "leaflet.js": Asset(_LEAFLET[0], "leaflet.js", *_LEAFLET[1:]),
    "leaflet.css": Asset(_LEAFLET[0], "leaflet.css", *_LEAFLET[1:]),
    "leaflet.markercluster.js": Asset(_CLUSTER[0], "leaflet.markercluster.js", *_CLUSTER[1:]),
    "MarkerCluster.css": Asset(_CLUSTER[0], "MarkerCluster.css", *_CLUSTER[1:]),
    "MarkerCluster.Default.css": Asset(_CLUSTER[0], "MarkerCluster.Default.css", *_CLUSTER[1:]),
    "leaflet-gesture-handling.min.js": Asset(_GESTURE[0], "leaflet-gesture-handling.min.js", *_GESTURE[1:]),
    "leaflet-gesture-handling.min.css": Asset(_GESTURE[0], "leaflet-gesture-handling.min.css", *_GESTURE[1:]),
    "jquery-3.7.1.min.js": Asset(_JQUERY[0], "jquery.min.js", *_JQUERY[1:]),
    "jquery.min.js": Asset(_JQUERY[0], "jquery.min.js", *_JQUERY[1:]),
}
#: Images referenced by Leaflet's stylesheet.
IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")


def local_name(url: str) -> str | None:
    """The :data:`ASSETS` name of a CDN address (``…/leaflet@1.9.3/dist/leaflet.js`` → ``leaflet.js``)."""
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if re.fullmatch(r"jquery-3\.\d+\.\d+(\.min)?\.js", name):
        name = "jquery-3.7.1.min.js"
    return name if name in ASSETS else None


def _file(asset: Asset, path: str | None = None):  # noqa: ANN202 - an importlib Traversable
    try:
        folder = resources.files(asset.package) / "data"
    except ModuleNotFoundError as exc:
        raise BorderscapeError(
            f"the package {asset.package} ({asset.library}) is not installed",
            remedy="reinstall borderscape (`pip install -e .` in a checkout), which installs its XStatic packages",
        ) from exc
    return folder / (path or asset.path)


def asset_bytes(name: str) -> bytes:
    """The bytes of the asset ``name`` (a key of :data:`ASSETS`, or ``images/<png>`` of Leaflet)."""
    if name.startswith("images/"):
        return _file(ASSETS["leaflet.js"], name).read_bytes()
    return _file(ASSETS[name]).read_bytes()


def asset_text(name: str) -> str:
    """The text of the asset ``name`` (UTF-8)."""
    return asset_bytes(name).decode("utf-8")


def inline_css(name: str) -> str:
    """A stylesheet with the images it references (``url(images/x.png)``) as ``data:`` URIs."""

    def data_uri(m: re.Match[str]) -> str:
        png = asset_bytes("images/" + m.group(1))
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    return re.sub(r"url\(images/([A-Za-z0-9_-]+\.png)\)", data_uri, asset_text(name))


def image_uri(name: str) -> str:
    """One of Leaflet's images as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(asset_bytes("images/" + name)).decode("ascii")


def copy_assets(folder: Path, names: list[str]) -> list[Path]:
    """Copy the assets ``names`` (and, with leaflet.css, Leaflet's images) into ``folder``.

    Each file is written atomically (:func:`borderscape.geo.files.atomic_path`).

    Returns
    -------
    list of Path
        The files written.
    """
    from borderscape.geo.files import atomic_path

    written = []
    todo = [*names] + ([f"images/{png}" for png in IMAGES] if "leaflet.css" in names else [])
    for name in todo:
        target = folder / name
        with atomic_path(target) as tmp:
            tmp.write_bytes(asset_bytes(name))
        written.append(target)
    return written


def credits(names: list[str]) -> list[tuple[str, str]]:
    """``(library, licence)`` of the libraries the assets ``names`` belong to, once each, in order."""
    seen: dict[str, str] = {}
    for name in names:
        asset = ASSETS.get(name)
        if asset is not None:
            seen.setdefault(asset.library, asset.licence)
    return list(seen.items())
