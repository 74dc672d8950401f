"""The source catalog: one entry per public source.

Every entry says who publishes the data, under which licence, how to cite it, where to get
it, which file names belong to it (so that any folder can serve as a mirror, including the
layout of the project's shared data folder), and which reader turns it into a layer.

Mirror rule
-----------
Files are found by the entry's :class:`FilePattern` globs, matched against file names
anywhere under the mirror folder.  Patterns are listed in order of preference (the layout a
researcher should use first).  Among files matching the same pattern the newest is used —
newest by the latest date written in the file name (``2024-09`` beats ``2020-06``), then by
modification time — and the choice is reported.  A pattern with ``parts=True`` matches a
set of files that together form one dataset (for example one JSON file per year).  An
explicit file given by the user overrides the mirror.

Pinned downloads
----------------
A direct download whose bytes never change carries its size and sha256 (:class:`Pin`):
``pcome-terrain`` and ``usbp-stations``, whose links name a git commit and whose files are
byte-identical to the copies in the project's shared data folder.  The other downloads are
not pinned, because no byte-identical copy of the publisher's file was available to compute
the values from, or because the publisher replaces the file in place: ``iom-mmp`` (IOM's
global CSV, updated continuously), ``ibwc-boundary`` (the shared copy is a KMZ conversion,
not IBWC's zip), ``tiger-roads-*`` (the shared copy holds the extracted Arizona shapefile,
not the Census zip), ``gshhg`` (the shared copy holds extracts made with GMT, not the zip) and
the elevation tiles (thousands of tiles; none in the shared folder).  Unpinned downloads
are checked for their expected format instead (:func:`borderscape.layers.fetch.check_download`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from borderscape.geo.errors import SourceError

# Expected regions (lon_min, lat_min, lon_max, lat_max), used to detect swapped or
# sign-flipped coordinates.
ARIZONA_SONORA = (-115.5, 30.0, -108.5, 35.0)
US_MEXICO_BORDER = (-118.0, 25.0, -96.0, 34.0)
MEDITERRANEAN_ATLANTIC = (-25.0, 20.0, 40.0, 48.0)
WORLD = (-180.0, -90.0, 180.0, 90.0)


@dataclass(frozen=True)
class FilePattern:
    """File names that belong to a source.

    Attributes
    ----------
    glob
        ``fnmatch`` pattern for a file name (not a path), case-insensitive.
    format
        How the file is read: ``csv``, ``json-records``, ``kml``, ``kmz``, ``shp``,
        ``geojson``, ``gpkg``, ``geotiff``, ``netcdf``, ``zip``.
    parts
        True when all files matching the pattern together form one dataset.
    note
        What this layout is (shown to users when it is chosen).
    """

    glob: str
    format: str
    parts: bool = False
    note: str = ""


@dataclass(frozen=True)
class Pin:
    """The size and sha256 of a publisher's file that does not change.

    A download of ``url`` is complete only when it has exactly ``size`` bytes and this
    sha256; anything else is discarded.  Only files whose bytes are fixed are pinned (a
    URL naming a git commit, a versioned release), never a file the publisher updates in
    place.

    Attributes
    ----------
    url
        The download URL (one of the entry's ``downloads``).
    size
        Size in bytes.
    sha256
        Checksum, 64 lower-case hex digits.
    note
        How the values were established.
    """

    url: str
    size: int
    sha256: str
    note: str = ""


@dataclass(frozen=True)
class Source:
    """One public source.

    Attributes
    ----------
    id
        Stable identifier used on the command line (``borderscape ingest pcome``).
    title, publisher, licence, citation
        What it is, who publishes it, on what terms, and how to cite it.
    urls
        Landing pages where a person can find and download the data.
    patterns
        File names that belong to the source, in order of preference.
    loader
        Name of the reader in :mod:`borderscape.layers.ingest` that turns a file into a layer.
    kind
        Kind of layer: ``deaths``, ``sensors``, ``context``, ``table`` or ``raster``.
    how_to_get
        Plain instructions for a user who has no copy.
    downloads
        Direct file URLs that ``borderscape fetch`` may download (empty when the publisher
        offers no stable direct link, or the file is user-supplied).
    tile_url
        For elevation tiles: a URL template with ``{name}`` (see :func:`dem_tile_names`).
    region
        Expected lon/lat bounding box of the data, used to detect swapped or sign-flipped
        coordinates (``None`` for non-spatial tables).
    caveats
        Limits every output built on this source must state.
    user_supplied
        True when the project cannot ship or fetch the data and the user supplies it.
    pins
        Size and sha256 of the ``downloads`` whose bytes are fixed (see :class:`Pin`);
        other downloads are checked for their expected format instead.
    """

    id: str
    title: str
    publisher: str
    urls: tuple[str, ...]
    licence: str
    citation: str
    patterns: tuple[FilePattern, ...]
    loader: str
    kind: str
    how_to_get: str
    downloads: tuple[str, ...] = ()
    tile_url: str | None = None
    region: tuple[float, float, float, float] | None = None
    caveats: str = ""
    user_supplied: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
    pins: tuple[Pin, ...] = ()

    def pin(self, url: str) -> Pin | None:
        """The pinned size and sha256 of ``url``, or None when the file is not pinned."""
        return next((p for p in self.pins if p.url == url), None)


# Direct links that name a git commit: their bytes never change, so they are pinned.
_CAPSTONE_URL = (
    "https://raw.githubusercontent.com/InnovativeGeospatial/EdX_Capstone_JW/"
    "d0643b6f0b83cc933aadbfbf80086bb16ec993ec/Capstone_Mortality_Dataset.csv"
)
_CBP_KML_URL = "https://raw.githubusercontent.com/dtex/cc2kml/c5267a816773f92a4ed312e573d7f332496cbe06/docs/cbp.kml"

#: U.S. states, the District of Columbia and Puerto Rico: postal code → (FIPS code, name).  TIGER/Line
#: files are named by the FIPS code (``tl_2021_48_prisecroads.zip`` is Texas).
STATES: dict[str, tuple[str, str]] = {
    "AL": ("01", "Alabama"),
    "AK": ("02", "Alaska"),
    "AZ": ("04", "Arizona"),
    "AR": ("05", "Arkansas"),
    "CA": ("06", "California"),
    "CO": ("08", "Colorado"),
    "CT": ("09", "Connecticut"),
    "DE": ("10", "Delaware"),
    "DC": ("11", "District of Columbia"),
    "FL": ("12", "Florida"),
    "GA": ("13", "Georgia"),
    "HI": ("15", "Hawaii"),
    "ID": ("16", "Idaho"),
    "IL": ("17", "Illinois"),
    "IN": ("18", "Indiana"),
    "IA": ("19", "Iowa"),
    "KS": ("20", "Kansas"),
    "KY": ("21", "Kentucky"),
    "LA": ("22", "Louisiana"),
    "ME": ("23", "Maine"),
    "MD": ("24", "Maryland"),
    "MA": ("25", "Massachusetts"),
    "MI": ("26", "Michigan"),
    "MN": ("27", "Minnesota"),
    "MS": ("28", "Mississippi"),
    "MO": ("29", "Missouri"),
    "MT": ("30", "Montana"),
    "NE": ("31", "Nebraska"),
    "NV": ("32", "Nevada"),
    "NH": ("33", "New Hampshire"),
    "NJ": ("34", "New Jersey"),
    "NM": ("35", "New Mexico"),
    "NY": ("36", "New York"),
    "NC": ("37", "North Carolina"),
    "ND": ("38", "North Dakota"),
    "OH": ("39", "Ohio"),
    "OK": ("40", "Oklahoma"),
    "OR": ("41", "Oregon"),
    "PA": ("42", "Pennsylvania"),
    "RI": ("44", "Rhode Island"),
    "SC": ("45", "South Carolina"),
    "SD": ("46", "South Dakota"),
    "TN": ("47", "Tennessee"),
    "TX": ("48", "Texas"),
    "UT": ("49", "Utah"),
    "VT": ("50", "Vermont"),
    "VA": ("51", "Virginia"),
    "WA": ("53", "Washington"),
    "WV": ("54", "West Virginia"),
    "WI": ("55", "Wisconsin"),
    "WY": ("56", "Wyoming"),
    "PR": ("72", "Puerto Rico"),
}
#: The U.S. states on the Mexican border, west to east, with the lon/lat box of their roads; each has a
#: ``tiger-roads-<state>`` entry in the catalog (other states are built on demand by :func:`get_source`).
BORDER_STATES: dict[str, tuple[float, float, float, float]] = {
    "CA": (-124.5, 32.5, -114.1, 42.1),
    "AZ": (-115.0, 31.0, -109.0, 37.1),
    "NM": (-109.1, 31.3, -103.0, 37.1),
    "TX": (-106.7, 25.8, -93.5, 36.6),
}
#: Where the Census Bureau publishes the 2021 TIGER/Line primary and secondary roads, one zip per state.
TIGER_ROADS_URL = "https://www2.census.gov/geo/tiger/TIGER2021/PRISECROADS/tl_2021_{fips}_prisecroads.zip"


def state_code(state: str) -> str:
    """The postal code of a U.S. state given by postal code or FIPS code (any case, FIPS with or
    without its leading zero).

    Examples
    --------
    >>> state_code("tx"), state_code("48"), state_code("4"), state_code("06")
    ('TX', 'TX', 'AZ', 'CA')

    Raises
    ------
    SourceError
        Not a state's postal or FIPS code; the message lists the border states.
    """
    text = str(state).strip().upper()
    if text.isdigit() and len(text) <= 2:
        text = next((code for code, (fips, _) in STATES.items() if fips == text.zfill(2)), text)
    if text not in STATES:
        border = ", ".join(f"{code}={STATES[code][0]}" for code in BORDER_STATES)
        raise SourceError(
            f"{state!r} is not a U.S. state's postal or FIPS code",
            remedy=f"give --state as a postal code or FIPS code, e.g. {border}",
        )
    return text


def tiger_roads_id(state: str) -> str:
    """The catalog id of a state's TIGER/Line roads: ``tiger_roads_id("48") == "tiger-roads-tx"``."""
    return f"tiger-roads-{state_code(state).lower()}"


def with_state(source_id: str, state: str | None) -> str:
    """The catalog id ``source_id`` names for ``state``: ``tiger-roads`` and a state give that state's
    roads (``with_state("tiger-roads", "48") == "tiger-roads-tx"``); without a state, ``source_id``.

    Raises
    ------
    SourceError
        A state given for another source, a ``tiger-roads-XX`` id of another state, or not a state.
    """
    if state is None:
        return source_id
    sid = tiger_roads_id(state)
    if source_id not in ("tiger-roads", sid):
        other = source_id.startswith("tiger-roads-")
        raise SourceError(
            f"a state ({state!r}) was given with {source_id!r}"
            + (", which is the roads of another state" if other else ": only tiger-roads takes a state"),
            remedy=f"run `borderscape fetch tiger-roads --state {state_code(state)}`"
            + ("" if other else f", and `borderscape fetch {source_id}` without --state"),
        )
    return sid


def tiger_roads(state: str) -> Source:
    """The catalog entry of the 2021 TIGER/Line primary and secondary roads of one U.S. state.

    Parameters
    ----------
    state
        Postal code (``TX``) or FIPS code (``48``).

    Returns
    -------
    Source
        Id ``tiger-roads-<postal code>``; file names ``tl_<year>_<FIPS>_prisecroads`` (shapefile,
        or the Census zip); the download link of :data:`TIGER_ROADS_URL` (not pinned: the shared
        copies hold extracted shapefiles, not the Census zip, so no byte-identical copy was
        available to compute a checksum from; downloads are checked as zip files instead).

    Examples
    --------
    >>> tiger_roads("NM").downloads[0].rsplit("/", 1)[-1]
    'tl_2021_35_prisecroads.zip'
    """
    code = state_code(state)
    fips, name = STATES[code]
    sid = f"tiger-roads-{code.lower()}"
    zipname = f"tl_2021_{fips}_prisecroads.zip"
    return Source(
        id=sid,
        title=f"TIGER/Line 2021 {name} primary and secondary roads",
        publisher="U.S. Census Bureau",
        urls=("https://www.census.gov/geographies/mapping-files/time-series/geo/tiger-line-file.html",),
        licence="U.S. Government work, public domain",
        citation=f"U.S. Census Bureau, TIGER/Line Shapefiles 2021, Primary and Secondary Roads, {name}.",
        patterns=(
            FilePattern(f"tl_*_{fips}_prisecroads.shp", "shp"),
            FilePattern(f"tl_*_{fips}_prisecroads.zip", "zip"),
        ),
        loader="roads",
        kind="context",
        how_to_get=f"Run `borderscape fetch tiger-roads --state {code}` (the same as `borderscape fetch {sid}`), "
        f"or download {zipname} from the Census TIGER/Line site (www2.census.gov/geo/tiger/TIGER2021/PRISECROADS/).",
        downloads=(TIGER_ROADS_URL.format(fips=fips),),
        region=BORDER_STATES.get(code),
        caveats="Primary and secondary roads only: no local roads, tracks or Border Patrol drag roads.",
    )


_SOURCES: tuple[Source, ...] = (
    Source(
        id="pcome",
        title="Arizona OpenGIS Initiative for Deceased Migrants (recovered remains)",
        publisher="Pima County Office of the Medical Examiner (PCOME) and Humane Borders, Inc.",
        urls=("https://humaneborders.info/", "https://humaneborders.org/migrant-death-mapping/"),
        licence="No licence stated; published publicly by Humane Borders / PCOME for research and advocacy",
        citation="Arizona OpenGIS Initiative for Deceased Migrants, Humane Borders, Inc. and Pima County Office of the Medical Examiner",
        patterns=(
            FilePattern("ogis_deaths_*.csv", "csv", note="OGIS export (one row per case)"),
            FilePattern("*OpenGIS*.csv", "csv", note="OGIS export as downloaded"),
        ),
        loader="pcome",
        kind="deaths",
        how_to_get="Export the records as CSV from the map at humaneborders.info (Arizona OpenGIS Initiative "
        "for Deceased Migrants) and put the file in your data folder, or pass it as FILE.",
        region=ARIZONA_SONORA,
        caveats="Remains are recorded where they were found, not where the person died; skeletal remains may be "
        "years old; only remains found and reported to the Pima County OME are counted, so deaths are undercounted.",
    ),
    Source(
        id="pcome-terrain",
        title="PCOME body locations vs random points with 10 m-DEM terrain covariates",
        publisher="J. White (HarvardX capstone), from PCOME/Humane Borders locations and USGS 3DEP",
        urls=("https://github.com/InnovativeGeospatial/EdX_Capstone_JW",),
        licence="No licence stated (derived analysis table; underlying USGS data public domain)",
        citation="White, J. (2024). Examining environmental elements relative to mortality sites in Arizona, USA. HarvardX capstone.",
        patterns=(FilePattern("Capstone_Mortality_Dataset*.csv", "csv"),),
        loader="pcome_terrain",
        kind="deaths",
        how_to_get="Download Capstone_Mortality_Dataset.csv from the InnovativeGeospatial/EdX_Capstone_JW repository.",
        downloads=(_CAPSTONE_URL,),
        pins=(
            Pin(
                _CAPSTONE_URL,
                547_829,
                "f1b242355d102255115c2533f3281724269a8185455060a263a3a02a1b8ac6ec",
                note="the file at the commit that added it (git blob 5f873cc3, unchanged at HEAD 6028f845), "
                "byte-identical to the shared data copy",
            ),
        ),
        region=ARIZONA_SONORA,
        caveats="Undated; random points were drawn by the author with an undocumented sampling frame.",
    ),
    Source(
        id="iom-mmp",
        title="IOM Missing Migrants Project: incidents of deaths and disappearances on migration routes",
        publisher="International Organization for Migration (IOM), Missing Migrants Project",
        urls=(
            "https://missingmigrants.iom.int/downloads",
            "https://data.humdata.org/dataset/ioms-missing-migrants-project",
        ),
        licence="CC BY-IGO 3.0 (as declared on HDX); cite IOM Missing Migrants Project",
        citation="IOM Missing Migrants Project, missingmigrants.iom.int",
        patterns=(
            FilePattern(
                "[0-9][0-9][0-9][0-9].json", "json-records", parts=True, note="API records, one JSON file per year"
            ),
            FilePattern("MissingMigrants-Global-*.csv", "csv", note="official CSV export"),
            FilePattern("Missing_Migrants_Global_Figures*.csv", "csv", note="official CSV export"),
        ),
        loader="iom_mmp",
        kind="deaths",
        how_to_get="Download the global CSV from missingmigrants.iom.int/downloads (or run `borderscape fetch iom-mmp`).",
        downloads=(
            "https://missingmigrants.iom.int/sites/g/files/tmzbdl601/files/report-migrant-incident/Missing_Migrants_Global_Figures_allData.csv",
        ),
        region=WORLD,
        caveats="Counts are minimum estimates; many coordinates are regional centroids (see source_quality and "
        "coordinate precision); IOM revises past records.",
    ),
    Source(
        id="iom-mmp-europe",
        title="IOM Missing Migrants, Europe-bound routes, cleaned (2014 to 2026-05)",
        publisher="G. Coppola et al. (Hertie School), from IOM Missing Migrants Project",
        urls=("https://github.com/giocopp/Missing-Migrants-Count",),
        licence="CC BY 4.0 (repository); underlying data IOM Missing Migrants Project",
        citation="IOM Missing Migrants Project; cleaned by giocopp/Missing-Migrants-Count (2026)",
        patterns=(FilePattern("iom_europe*.csv", "csv"),),
        loader="iom_mmp",
        kind="deaths",
        how_to_get="Download data/raw/iom_europe.csv from the giocopp/Missing-Migrants-Count repository.",
        region=(-30.0, 5.0, 50.0, 60.0),
        caveats="A third party's cleaning of IOM data; counts are minimum estimates.",
    ),
    Source(
        id="eff-towers",
        title="EFF map of surveillance towers at the U.S.–Mexico border",
        publisher="Electronic Frontier Foundation (EFF)",
        urls=("https://www.eff.org/",),
        licence="As stated by EFF with the dataset (EFF publishes its work under CC BY 4.0)",
        citation="Electronic Frontier Foundation, surveillance towers at the U.S.–Mexico border (dataset and map).",
        patterns=(
            FilePattern("*tower*.csv", "csv"),
            FilePattern("*tower*.geojson", "geojson"),
            FilePattern("*tower*.kml", "kml"),
        ),
        loader="towers",
        kind="sensors",
        how_to_get="Download EFF's border surveillance tower data (CSV) from the EFF website, where it accompanies "
        "its map of CBP towers, and pass it with --towers FILE, put it in your data folder, or run "
        "`borderscape fetch eff-towers --url URL`.",
        region=US_MEXICO_BORDER,
        caveats="Tower positions are compiled from public records, satellite imagery and field visits; "
        "deployment dates are incomplete and defaults per tower type are assumptions stated in the study file.",
        user_supplied=True,
    ),
    Source(
        id="ibwc-boundary",
        title="U.S.–Mexico international boundary line",
        publisher="International Boundary and Water Commission (IBWC), U.S. Section",
        urls=("https://www.ibwc.gov/gis-data/",),
        licence="U.S. Government work, public domain",
        citation="International Boundary and Water Commission, U.S.–Mexico boundary (GIS data).",
        patterns=(
            FilePattern("us_mex_boundary*.kmz", "kmz"),
            FilePattern("US_Mex_Boundary*.shp", "shp"),
            FilePattern("us_mex_boundary*.zip", "zip"),
        ),
        loader="boundary",
        kind="context",
        how_to_get="Download us_mex_boundary.zip from the IBWC GIS data page (or run `borderscape fetch ibwc-boundary`).",
        downloads=("https://www.ibwc.gov/GIS_Maps/downloads/us_mex_boundary.zip",),
        region=US_MEXICO_BORDER,
    ),
    *(tiger_roads(state) for state in BORDER_STATES),
    Source(
        id="usbp-stations",
        title="U.S. Border Patrol stations (geocoded addresses, 2019)",
        publisher="U.S. Customs and Border Protection station list, geocoded by dtex/cc2kml",
        urls=(
            "https://www.cbp.gov/border-security/along-us-borders/border-patrol-sectors",
            "https://github.com/dtex/cc2kml",
        ),
        licence="Station list: U.S. Government work; geocoding: no licence stated",
        citation="U.S. Customs and Border Protection, Border Patrol stations; geocoded by dtex/cc2kml (2019).",
        patterns=(FilePattern("cbp_stations*.kml", "kml"), FilePattern("cbp.kml", "kml")),
        loader="stations",
        kind="context",
        how_to_get="Download docs/cbp.kml from the dtex/cc2kml repository.",
        downloads=(_CBP_KML_URL,),
        pins=(
            Pin(
                _CBP_KML_URL,
                42_489,
                "8d6bb423568e2220461fd0e1c0d0c586db60fb5f9e08f4482fd953b87088c999",
                note="the file at the commit that last changed it (git blob 4152d1aa, unchanged at HEAD 7f7c4b1d), "
                "byte-identical to the shared data copy",
            ),
        ),
        region=(-125.0, 17.0, -66.0, 50.0),
        caveats="Geocoded street addresses of station buildings; no interior checkpoints.",
    ),
    Source(
        id="hb-water-stations",
        title="Humane Borders water stations (digitised from the 2000–2019 poster)",
        publisher="Humane Borders, Inc. (poster); digitised by chezumcade05-sys/Migrant-deaths-paper",
        urls=("https://humaneborders.org/", "https://github.com/chezumcade05-sys/Migrant-deaths-paper"),
        licence="Humane Borders permits reproduction with credit",
        citation="Humane Borders, Inc., Migrant Deaths, Rescue Beacons, Water Stations 2000–2019 (poster).",
        patterns=(FilePattern("water_stations*.csv", "csv"), FilePattern("Water Stations*.csv", "csv")),
        loader="water_stations",
        kind="context",
        how_to_get="Download 'data/Water Stations 2000-2019.csv' from chezumcade05-sys/Migrant-deaths-paper.",
        region=ARIZONA_SONORA,
        caveats="Positions read off a poster: uncertain by about 5 miles (8 km); no dates.",
    ),
    Source(
        id="cbp-encounters",
        title="CBP Southwest land border encounters by sector and month",
        publisher="U.S. Customs and Border Protection (via IOM Global Data Institute gdidata)",
        urls=("https://www.cbp.gov/document/stats/nationwide-encounters", "https://github.com/iom/gdidata"),
        licence="U.S. Government work, public domain",
        citation="U.S. Customs and Border Protection, Nationwide Encounters; compiled in iom/gdidata (irreg_usa).",
        patterns=(
            FilePattern("cbp_sw_border_encounters*.csv", "csv"),
            FilePattern("*nationwide-encounters*.csv", "csv"),
        ),
        loader="cbp_encounters",
        kind="table",
        how_to_get="Download the Southwest Land Border Encounters CSV from cbp.gov (Nationwide Encounters page).",
        caveats="Encounters are events, not people (repeat crossings); sector detail starts in October 2019.",
    ),
    Source(
        id="frontex-incidents",
        title="Frontex JO Hermes/Triton/Themis boat incidents, Central Mediterranean (PAD-194)",
        publisher="Frontex (public access to documents), processed by G. Coppola (thesis-cmr-mortality)",
        urls=(
            "https://www.frontex.europa.eu/about-frontex/transparency-office/public-access-to-documents/",
            "https://github.com/giocopp/thesis-cmr-mortality",
        ),
        licence="Frontex documents released under public access; no licence file in the processing repository",
        citation="Frontex, JO Themis/Triton incident data (PAD-194); processed by Coppola (2026), thesis-cmr-mortality.",
        patterns=(FilePattern("frontex_pad194*.csv", "csv"), FilePattern("frontex_incidents*.csv", "csv")),
        loader="frontex_incidents",
        kind="deaths",
        how_to_get="Request PAD-194 from Frontex, or download the processed file from giocopp/thesis-cmr-mortality.",
        region=MEDITERRANEAN_ATLANTIC,
        caveats="Only boats Frontex recorded; about 20% have detection coordinates, some averaged over several boats.",
    ),
    Source(
        id="frontex-detections",
        title="Frontex monthly detections of illegal border crossings by route and nationality",
        publisher="European Border and Coast Guard Agency (Frontex), via IOM gdidata",
        urls=(
            "https://www.frontex.europa.eu/what-we-do/monitoring-and-risk-analysis/migratory-map/",
            "https://github.com/iom/gdidata",
        ),
        licence="Frontex data are published for re-use with attribution",
        citation="Frontex, Monthly detections of illegal border crossings; compiled in iom/gdidata (frontex).",
        patterns=(FilePattern("frontex_detections*.csv", "csv"), FilePattern("Monthly_detections_of_IBC*.csv", "csv")),
        loader="frontex_detections",
        kind="table",
        how_to_get="Download the monthly detections file from the Frontex Migratory Map page.",
        caveats="Detections, not people; Frontex revises recent months.",
    ),
    Source(
        id="imo-srr",
        title="IMO search-and-rescue regions (Italy, Libya, Malta, Tunisia)",
        publisher="International Maritime Organization (IMO) GISIS Global SAR Plan",
        urls=("https://gisis.imo.org/", "https://github.com/giocopp/thesis-cmr-mortality"),
        licence="IMO GISIS data; no licence file in the copying repository",
        citation="IMO GISIS, Global SAR Plan (COMSAR module), RCC areas exported 2026-04-07.",
        patterns=(
            FilePattern("imo_gisis_srr*.geojson", "geojson"),
            FilePattern("*RCCAreas*.gml", "gml", parts=True),
            FilePattern("srr_sea_areas*.geojson", "geojson", note="sea-only SRR clipped by a third party (derived)"),
        ),
        loader="srr",
        kind="context",
        how_to_get="Export the RCC areas from IMO GISIS (Global SAR Plan), or use the GML files in giocopp/thesis-cmr-mortality.",
        region=MEDITERRANEAN_ATLANTIC,
        caveats="Polygons as filed: they cross land, overlap, and the Libyan SRR (declared June 2018) is contested.",
    ),
    Source(
        id="frontex-opareas",
        title="Frontex Triton/Themis operational areas (APPROXIMATE buffers)",
        publisher="G. Coppola (thesis-cmr-mortality), approximating Frontex operational plans",
        urls=("https://github.com/giocopp/thesis-cmr-mortality",),
        licence="No licence file in the repository",
        citation="Coppola (2026), thesis-cmr-mortality, approximate Frontex operational areas.",
        patterns=(FilePattern("frontex_operational_areas*.geojson", "geojson"),),
        loader="areas",
        kind="sensors",
        how_to_get="Use frontex_operational_areas_APPROXIMATE_triton_themis.geojson from giocopp/thesis-cmr-mortality.",
        region=MEDITERRANEAN_ATLANTIC,
        caveats="Approximate buffers, not the official operational plan polygons.",
    ),
    Source(
        id="unhcr-arrivals",
        title="UNHCR Mediterranean sea and land arrivals by country and month (2014-01 to 2019-11)",
        publisher="UNHCR Operational Data Portal, compiled by Klem & Tenney (FXB Center, Harvard)",
        urls=("https://data.unhcr.org/en/situations/mediterranean", "https://github.com/stklem/med_migration"),
        licence="CC BY 3.0 IGO (UNHCR Operational Data Portal)",
        citation="UNHCR Operational Data Portal, Mediterranean situation; compiled by stklem/med_migration (2020).",
        patterns=(
            FilePattern("unhcr_monthly_arrivals_by_country*.csv", "csv"),
            FilePattern("unhcr_arrivals*.csv", "csv"),
        ),
        loader="unhcr_arrivals",
        kind="table",
        how_to_get="Download monthly arrivals from data.unhcr.org (Mediterranean situation).",
        caveats="Arrivals only; Spain land/sea split from 2017; December 2019 missing.",
    ),
    Source(
        id="unhcr-italy-daily",
        title="UNHCR daily sea arrivals to Italy (2015-10 to 2026-03)",
        publisher="UNHCR Operational Data Portal, via giocopp/thesis-cmr-mortality",
        urls=("https://data.unhcr.org/en/situations/mediterranean/location/5205",),
        licence="CC BY 3.0 IGO (UNHCR Operational Data Portal)",
        citation="UNHCR Operational Data Portal, Italy sea arrivals (daily).",
        patterns=(
            FilePattern("unhcr_daily_sea_arrivals_italy*.csv", "csv"),
            FilePattern("unhcr_daily_arrivals_italy*.csv", "csv"),
        ),
        loader="unhcr_daily",
        kind="table",
        how_to_get="Download the daily sea-arrivals series for Italy from data.unhcr.org.",
        caveats="Days with no reported arrivals are absent (zero).",
    ),
    Source(
        id="iom-med-monthly",
        title="IOM monthly Mediterranean and Atlantic arrivals, interceptions and deaths by route (2014–2025)",
        publisher="IOM Missing Migrants Project compilation ('ALL MED DATA'), via giocopp/thesis-cmr-mortality",
        urls=("https://missingmigrants.iom.int/", "https://github.com/giocopp/thesis-cmr-mortality"),
        licence="No licence file; IOM data public with attribution",
        citation="IOM Missing Migrants Project, ALL MED DATA 2010–2025 (12 Aug 2025); processed by Coppola (2026).",
        patterns=(
            FilePattern("iom_med_atlantic_crossings*.csv", "csv"),
            FilePattern("iom_med_crossings_monthly*.csv", "csv"),
        ),
        loader="iom_med_monthly",
        kind="table",
        how_to_get="Use data/processed/iom_med_crossings_monthly.RDS (as CSV) from giocopp/thesis-cmr-mortality.",
        caveats="Arrivals and interceptions are national figures compiled by IOM; deaths are minimum estimates.",
    ),
    Source(
        id="gshhg",
        title="GSHHG shorelines and WDBII borders (2.3.7)",
        publisher="P. Wessel & W. H. F. Smith, SOEST, University of Hawai'i",
        urls=("https://www.soest.hawaii.edu/pwessel/gshhg/",),
        licence="LGPL-3.0-or-later",
        citation="Wessel, P. & Smith, W. H. F. (1996). A global, self-consistent, hierarchical, high-resolution "
        "shoreline database. J. Geophys. Res. 101(B4), 8741–8743. GSHHG 2.3.7.",
        patterns=(
            FilePattern("gshhg_full_shorelines*.gpkg", "gpkg"),
            FilePattern("gshhg_*shorelines*.geojson", "geojson"),
            FilePattern("GSHHS_f_L1.shp", "shp", note="full resolution, from the shapefile bundle"),
            FilePattern("gshhg_wdbii_*borders*.geojson", "geojson", note="WDBII national borders (lines)"),
        ),
        loader="shorelines",
        kind="context",
        how_to_get="Run `borderscape fetch gshhg` (the shapefile bundle), or install Debian's gmt-gshhg-full and extract with GMT.",
        downloads=("https://www.soest.hawaii.edu/pwessel/gshhg/gshhg-shp-2.3.7.zip",),
        region=WORLD,
        caveats="1:250,000-scale shoreline: offsets of 100–500 m occur.",
    ),
    Source(
        id="az-env-grid",
        title="Southern Arizona environmental grid (0.044°): slope (3DEP), July Tmax (PRISM), NDVI (NAIP)",
        publisher="chezumcade05-sys/Migrant-deaths-paper, from USGS 3DEP, PRISM and USDA NAIP",
        urls=("https://github.com/chezumcade05-sys/Migrant-deaths-paper",),
        licence="No licence stated; USGS and NAIP inputs public domain, PRISM asks for citation",
        citation="Derived grid (Migrant-deaths-paper, 2026) from USGS 3DEP, PRISM Climate Group (Oregon State University) and USDA NAIP.",
        patterns=(
            FilePattern("danger_index_environmental_layers*.csv", "csv"),
            FilePattern("Danger Index Environmental Layers*.csv", "csv"),
        ),
        loader="env_grid",
        kind="context",
        how_to_get="Download 'data/Danger Index Environmental Layers.csv' from chezumcade05-sys/Migrant-deaths-paper.",
        region=ARIZONA_SONORA,
        caveats="About 4 × 5 km cells; slope and NDVI missing south of the border (US-only inputs).",
    ),
    Source(
        id="dem-copernicus",
        title="Copernicus DEM GLO-30 (30 m) elevation tiles",
        publisher="European Space Agency / Copernicus (Airbus DEM data)",
        urls=(
            "https://spacedata.copernicus.eu/collections/copernicus-digital-elevation-model",
            "https://registry.opendata.aws/copernicus-dem/",
        ),
        licence="Copernicus DEM licence (free use with attribution: © DLR e.V. 2010–2014 and © Airbus Defence and Space GmbH 2014–2018, provided under COPERNICUS by the European Union and ESA)",
        citation="European Space Agency (2021). Copernicus Global Digital Elevation Model GLO-30. doi:10.5270/ESA-c5d3d65",
        patterns=(FilePattern("Copernicus_DSM_*_DEM.tif", "geotiff", parts=True),),
        loader="dem",
        kind="raster",
        how_to_get="Run `borderscape fetch dem-copernicus --bbox W,S,E,N`: it downloads the 1°×1° tiles of the box.",
        tile_url="https://copernicus-dem-30m.s3.amazonaws.com/{name}/{name}.tif",
        caveats="A surface model (includes vegetation and buildings); 30 m cells.",
    ),
    Source(
        id="dem-3dep",
        title="USGS 3D Elevation Program 1 arc-second (≈30 m) DEM tiles",
        publisher="U.S. Geological Survey",
        urls=("https://www.usgs.gov/3d-elevation-program",),
        licence="U.S. Government work, public domain",
        citation="U.S. Geological Survey, 3D Elevation Program 1 arc-second Digital Elevation Model.",
        patterns=(FilePattern("USGS_1_*.tif", "geotiff", parts=True),),
        loader="dem",
        kind="raster",
        how_to_get="Run `borderscape fetch dem-3dep --bbox W,S,E,N`: it downloads the 1°×1° tiles of the box (U.S. only).",
        tile_url="https://prd-tnm.s3.amazonaws.com/StagedProducts/Elevation/1/TIFF/current/{name}/USGS_1_{name}.tif",
        caveats="U.S. territory only: Sonora has no 3DEP coverage.",
    ),
    Source(
        id="etopo1",
        title="ETOPO1 bedrock relief at 0.1° (coarse, with bathymetry)",
        publisher="NOAA NGDC (resampled by the pybacktrack package)",
        urls=("https://www.ncei.noaa.gov/products/etopo-global-relief-model",),
        licence="U.S. Government work, public domain",
        citation="Amante, C. & Eakins, B. W. (2009). ETOPO1 1 Arc-Minute Global Relief Model. NOAA Technical Memorandum NESDIS NGDC-24.",
        patterns=(FilePattern("etopo1_0.1deg_*.tif", "geotiff"),),
        loader="dem",
        kind="raster",
        how_to_get="Download ETOPO from NOAA NCEI, or install the pybacktrack package which bundles a 0.1° copy.",
        caveats="About 10 km cells: for regional context only, far too coarse for walking cost.",
    ),
)

CATALOG: dict[str, Source] = {s.id: s for s in _SOURCES}


def get_source(source_id: str) -> Source:
    """The catalog entry of ``source_id``.

    The roads of the border states are catalog entries (``tiger-roads-ca``, ``-az``, ``-nm``,
    ``-tx``); ``tiger-roads-<postal code>`` of any other state is built here (:func:`tiger_roads`).

    Raises
    ------
    SourceError
        When the id is unknown (the message lists the known ids), or is ``tiger-roads`` without a
        state.
    """
    try:
        return CATALOG[source_id]
    except KeyError:
        pass
    if source_id == "tiger-roads":
        raise SourceError(
            "tiger-roads is one file per U.S. state: the state is needed",
            remedy="give the state, e.g. `borderscape fetch tiger-roads --state TX` (postal or FIPS code), "
            f"or name one of {', '.join(tiger_roads_id(s) for s in BORDER_STATES)}",
        )
    if (
        isinstance(source_id, str)
        and source_id.startswith("tiger-roads-")
        and source_id.removeprefix("tiger-roads-").upper() in STATES
    ):
        return tiger_roads(source_id.removeprefix("tiger-roads-"))
    raise SourceError(
        f"unknown source {source_id!r}",
        remedy=f"use one of: {', '.join(sorted(CATALOG))} (see `borderscape sources`); "
        "tiger-roads-XX for the roads of any U.S. state XX",
    )


def _tile_ranges(source_id: str, bbox: tuple[float, float, float, float]) -> tuple[range, range]:
    """The integer latitudes and longitudes of the 1°×1° cells meeting ``bbox`` (validated)."""
    import math

    if source_id not in ("dem-copernicus", "dem-3dep"):
        raise SourceError(f"{source_id!r} has no elevation tiles", remedy="use dem-copernicus or dem-3dep")
    try:
        west, south, east, north = (float(v) for v in bbox)
        valid = -180 <= west < east <= 180 and -90 <= south < north <= 90
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise SourceError(
            f"invalid bounding box {bbox}",
            remedy="give --bbox WEST,SOUTH,EAST,NORTH in degrees, west < east, south < north",
        )
    return range(math.floor(south), math.ceil(north)), range(math.floor(west), math.ceil(east))


def dem_tile_count(source_id: str, bbox: tuple[float, float, float, float]) -> int:
    """How many 1°×1° elevation tiles cover a lon/lat bounding box, without listing them.

    The number of requests ``borderscape fetch SOURCE --bbox`` would make (tiles at sea
    answer 404 and are skipped, but are still asked for).

    Examples
    --------
    >>> dem_tile_count("dem-copernicus", (-180, -90, 180, 90))
    64800
    >>> dem_tile_count("dem-copernicus", (-112.0, 31.0, -110.0, 33.0))
    4
    """
    lats, lons = _tile_ranges(source_id, bbox)
    return len(lats) * len(lons)


def dem_tile_names(source_id: str, bbox: tuple[float, float, float, float]) -> list[str]:
    """Names of the 1°×1° elevation tiles that cover a lon/lat bounding box.

    Parameters
    ----------
    source_id
        ``dem-copernicus`` or ``dem-3dep``.
    bbox
        (west, south, east, north) in decimal degrees.

    Returns
    -------
    list of str
        Copernicus names such as ``Copernicus_DSM_COG_10_N31_00_W112_00_DEM`` (tile named by
        its south-west corner) or 3DEP names such as ``n32w112`` (named by its north-west
        corner), in row-major order from the north-west.
    """
    lats, lons = _tile_ranges(source_id, bbox)
    names: list[str] = []
    for lat in sorted(lats, reverse=True):
        for lon in lons:
            if source_id == "dem-copernicus":
                ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
                names.append(f"Copernicus_DSM_COG_10_{ns}{abs(lat):02d}_00_{ew}{abs(lon):03d}_00_DEM")
            else:  # dem-3dep
                top = lat + 1
                ns, ew = ("n" if top >= 0 else "s"), ("e" if lon >= 0 else "w")
                names.append(f"{ns}{abs(top):02d}{ew}{abs(lon):03d}")
    return names
