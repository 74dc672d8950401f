"""``borderscape.map(...)``: the interactive map of a run, a run folder or layer files, as a
:class:`folium.Map` to show in a notebook, extend with folium and save.

This module holds only the public entry point (:func:`map`); the work is done by
:func:`borderscape.webmap.interactive_map` (its page: :func:`borderscape.webmap.to_html`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from borderscape.errors import InputError


def map(  # noqa: A001 - the public name borderscape.map, as folium.Map is to folium
    what: Any,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    credit: str | None = None,
    embed: bool = False,
    stats: bool | None = None,
    tiles: str = "none",
    data_dir: str | os.PathLike[str] | None = None,
    basemap: bool = True,
    lang: str = "en",
) -> Any:
    """The interactive map of ``what`` as a :class:`folium.Map`.

    Parameters
    ----------
    what
        A :class:`borderscape.Result` (``bs.run(...)``), a run folder read back
        (``bs.read_run(path)``) or its path, a :class:`borderscape.webmap.StudyMap`, or a list
        of layer files written by ``borderscape ingest … --out FILE``.
    title, subtitle, credit, embed, stats, tiles, basemap, lang
        See :func:`borderscape.webmap.interactive_map`.
    data_dir
        Where the basemap's GSHHG coastlines are (default: the run's data folder, else
        ``BORDERSCAPE_DATA``).

    Returns
    -------
    folium.Map
        Shown inline in a notebook; extend it with folium (``folium.CircleMarker(...).add_to(m)``);
        ``m.save("map.html")`` writes one self-contained file (no network request), as does
        :func:`borderscape.webmap.to_html`.

    Raises
    ------
    InputError
        ``what`` is none of these.

    Examples
    --------
    >>> import borderscape as bs
    >>> m = bs.map(bs.read_run("out/arizona-sonora"), title="Deaths in the Sonoran Desert")  # doctest: +SKIP
    >>> m.save("az.html")                                                                       # doctest: +SKIP
    """
    from borderscape import webmap

    options: dict[str, Any] = {}
    if isinstance(what, (str, os.PathLike)) and Path(what).is_dir():
        from borderscape.runfolder import read_run

        options["data_dir"] = webmap.run_data_dir(what)
        what = read_run(what)
    if isinstance(what, webmap.StudyMap):
        gathered = what
    elif hasattr(what, "map_data"):
        gathered = what.map_data()
        run_options = getattr(what, "options", None)
        if isinstance(run_options, dict) and run_options.get("data_dir"):
            options["data_dir"] = run_options["data_dir"]
        elif getattr(what, "path", None) is not None:
            options["data_dir"] = webmap.run_data_dir(what.path)
    elif isinstance(what, Sequence) and not isinstance(what, str) and what:
        gathered = webmap.files_map(list(what))
    else:
        raise InputError(
            f"cannot map {type(what).__name__}",
            remedy="give bs.map a result of bs.run, bs.read_run(folder), a run folder's path or a list of layer files",
        )
    if data_dir is not None:
        options["data_dir"] = data_dir
    if options.get("data_dir") is None:
        from borderscape import settings

        options["data_dir"] = settings.data_dir
    return webmap.interactive_map(
        gathered,
        title=title,
        subtitle=subtitle,
        credit=credit,
        embed=embed,
        stats=stats,
        tiles=tiles,
        basemap=basemap,
        lang=lang,
        **options,
    )
