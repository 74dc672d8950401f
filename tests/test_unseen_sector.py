"""A new user's own sector, end to end (issue 18, "Must show").

The test writes what a stranger sends — a death table of a sector nobody tuned for (El Paso / the
New Mexico bootheel) with name and case-number columns, dates with times in ``MM/DD/YYYY`` and
``MM/DD/YY``, coordinates in decimal degrees and in degrees–minutes–seconds text, exact duplicate
rows, records outside the sector and one without a position, in Latin-1 — and a public list of
radio-licence sites with degrees, minutes and seconds in separate columns and one licence that
ends before it starts.  Both go through ``borderscape ingest``; a copy of the shipped Arizona study,
edited as the README says, names the two files with its own ``[sources.*]`` credits and runs with
the mirror's CBP encounters and boundary; then ``map --from`` and ``brief --from``.

Checked: every record inside the region is on the map and in the counts (the numbers are known by
construction here); nothing credits the Pima County OME, Humane Borders or EFF; no name or case
number reaches any output (every file of the run, the map, the briefing's HTML and the text of
every page of its PDF).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borderscape.cli import main

STUDY = Path(__file__).resolve().parents[1] / "analyses" / "studies" / "arizona-sonora.toml"
BBOX = (-108.2, 31.3, -106.3, 32.4)
INSIDE, OUTSIDE, DUPLICATES = 240, 30, 3
#: Who must not be credited for the user's files.
FOREIGN = ("Pima County", "PCOME", "Humane Borders", "Electronic Frontier", "EFF map")


def _dms(value: float, pos: str, neg: str) -> str:
    hemi = pos if value >= 0 else neg
    v = abs(value)
    d = int(v)
    m = int((v - d) * 60)
    s = (v - d - m / 60) * 3600
    return f"{d}°{m:02d}'{s:05.2f}\"{hemi}"


def _parts(value: float) -> tuple[int, int, float]:
    v = abs(value)
    d = int(v)
    m = int((v - d) * 60)
    return d, m, round((v - d - m / 60) * 3600, 2)


def write_stranger_files(folder: Path, rng: np.random.Generator) -> dict[str, object]:
    """The raw deaths table and licence list; returns what the test knows by construction."""
    w, s, e, n = BBOX
    rows, names, cases, dates = [], [], [], []
    for i in range(INSIDE):
        lat, lon = rng.uniform(s + 0.02, n - 0.02), rng.uniform(w + 0.02, e - 0.02)
        year, month, day = int(rng.integers(2008, 2024)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        hh, mm = int(rng.integers(0, 24)), int(rng.integers(0, 60))
        date = (
            f"{month:02d}/{day:02d}/{year} {hh:02d}:{mm:02d}:00"
            if i % 2
            else f"{month:02d}/{day:02d}/{year % 100:02d} {hh:02d}:{mm:02d}"
        )
        lat_text, lon_text = (_dms(lat, "N", "S"), _dms(lon, "E", "W")) if i % 3 == 0 else (f"{lat:.5f}", f"{lon:.5f}")
        name, case = f"Persona Prueba Nombre{i}", f"EPX-{year}-{i:04d}"
        names.append(name)
        cases.append(case)
        dates.append(pd.Timestamp(year, month, day))
        rows.append([name, case, date, lat_text, lon_text, "Exposición" if i % 4 else "Undetermined", "Columbus"])
    for i in range(OUTSIDE):  # north-east of the box: another sector's records
        name, case = f"Persona Fuera Nombre{i}", f"EPX-OUT-{i:03d}"
        names.append(name)
        cases.append(case)
        rows.append([name, case, "07/04/2015 10:00:00", f"{33.6 + i / 100:.4f}", f"{-105.0 - i / 100:.4f}", "", ""])
    names.append("Persona Sinlugar Nombre")
    cases.append("EPX-NOPOS-1")
    rows.append([names[-1], cases[-1], "05/07/2013 13:12:00", "", "", "", ""])
    rows += [list(rows[5]), list(rows[6]), list(rows[7])]  # exact duplicates of three records
    with open(folder / "sector.csv", "w", encoding="latin-1", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Decedent Name", "Case Number", "Date Found", "Latitude", "Longitude", "Cause of Death", "Town"])
        out.writerows(rows)
    with open(folder / "licences.csv", "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            ["Licensee", "Lat Deg", "Lat Min", "Lat Sec", "Lat Dir", "Lon Deg", "Lon Min", "Lon Sec", "Lon Dir"]
            + ["Grant Date", "Expiration Date", "Structure Height (m)"]
        )
        for i in range(20):
            lat, lon = rng.uniform(s + 0.05, n - 0.05), rng.uniform(w + 0.05, e - 0.05)
            grant = f"{int(rng.integers(1, 13)):02d}/15/{int(rng.integers(2006, 2016))}"
            expires = "01/01/2001" if i == 3 else f"{int(rng.integers(1, 13)):02d}/15/{int(rng.integers(2025, 2030))}"
            out.writerow(
                [
                    f"Example Telecom {i}",
                    *_parts(lat),
                    "N",
                    *_parts(lon),
                    "W",
                    grant,
                    expires,
                    int(rng.integers(20, 60)),
                ]
            )
    return {"names": names, "cases": cases, "dates": dates}


def edited_study(folder: Path) -> Path:
    """arizona-sonora.toml, copied and edited as the README's "Your own region" section says."""
    text = STUDY.read_text(encoding="utf-8")
    text = text.replace('name = "arizona-sonora"', 'name = "my-sector"')
    text = re.sub(r'title = ".*"', 'title = "El Paso Sector: surveillance towers and deaths (test)"', text, count=1)
    text = re.sub(
        r'description = """.*?"""', 'description = "Generated records of a sector nobody tuned for."', text, flags=re.S
    )
    text = re.sub(r"caveats = \[.*?\n\]", 'caveats = ["Generated test records."]', text, count=1, flags=re.S)
    text = text.replace("bbox = [-114.9, 31.3, -109.0, 34.0]", f"bbox = {list(BBOX)}")
    text = text.replace('crs = "EPSG:32612"', 'crs = "auto"')
    text = text.replace('start = "2000-01-01"', 'start = "2008-01-01"')
    text = text.replace('split = "2006-09-21"', 'split = "2015-01-01"')
    text = text.replace('sectors = ["Tucson Sector"]', 'sectors = ["El Paso Sector"]')
    text = text.replace("permutations = 999", "permutations = 99")
    layers = (
        "[layers]\n"
        'deaths = { path = "deaths.parquet", source = "my-ome" }\n'
        'towers = { path = "towers.parquet", source = "my-licences" }\n'
        'encounters = "cbp-encounters"\n'
        'border = "ibwc-boundary"\n\n'
        "[sources.my-ome]\n"
        'publisher = "Example County Office of the Medical Investigator (generated test data)"\n'
        'licence = "CC0 (test)"\n'
        'citation = "Generated records, borderscape tests."\n\n'
        "[sources.my-licences]\n"
        'publisher = "Example licence register (generated test data)"\n'
        'licence = "CC0 (test)"\n\n'
    )
    text = re.sub(r"\[layers\].*?(?=\n# Defaults per sensor)", layers, text, flags=re.S)
    path = folder / "my-sector.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _texts(root: Path) -> dict[str, str]:
    """Every file under ``root`` as text (bytes decoded leniently; PDF pages as their text)."""
    out = {}
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        if f.suffix == ".pdf":
            from pypdf import PdfReader

            out[str(f)] = "\n".join(page.extract_text() or "" for page in PdfReader(f).pages)
        else:
            out[str(f)] = f.read_bytes().decode("utf-8", errors="replace")
    return out


def test_a_strangers_sector_goes_from_raw_csv_to_a_briefing(tmp_path, data_dir, capsys):
    known = write_stranger_files(tmp_path, np.random.default_rng(18))
    region = ",".join(str(v) for v in BBOX)
    # 1. ingest, as the README says (no --region: the study's region decides what counts)
    assert (
        main(
            ["ingest", "deaths", str(tmp_path / "sector.csv"), "--columns",
             "lat=Latitude,lon=Longitude,date=Date Found,cause=Cause of Death",
             "--out", str(tmp_path / "deaths.parquet"), "--report", str(tmp_path / "deaths.json")]
        )
        == 0
    )  # fmt: skip
    report = json.loads((tmp_path / "deaths.json").read_text(encoding="utf-8"))
    assert report["rows_read"] == INSIDE + OUTSIDE + 1 + DUPLICATES
    assert set(report["removed_columns"]) == {"Decedent Name", "Case Number"}
    assert report["quarantined"] == 1 + DUPLICATES  # no position; three exact duplicates
    assert main(
        ["ingest", "sensors", str(tmp_path / "licences.csv"), "--region", region, "--columns",
         "lat_deg=Lat Deg,lat_min=Lat Min,lat_sec=Lat Sec,lat_hemi=Lat Dir,lon_deg=Lon Deg,lon_min=Lon Min,"
         "lon_sec=Lon Sec,lon_hemi=Lon Dir,active_from=Grant Date,active_to=Expiration Date,"
         "height=Structure Height (m)", "--out", str(tmp_path / "towers.parquet")]
    ) == 0  # fmt: skip
    towers = pd.read_parquet(tmp_path / "towers.parquet")
    assert (towers["status"] != "quarantined").sum() == 19  # the licence that ends before it starts is not
    # 2. a copied study file, run with the mirror's encounters and boundary
    study = edited_study(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(study), "--data-dir", str(data_dir), "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    counts = results["records"]["deaths"]
    assert counts["read"] == report["rows_read"]
    assert counts["inside"] == INSIDE and counts["outside the study region"] == OUTSIDE
    assert counts["quarantined"] == 1 + DUPLICATES
    # H4 counts the region's deaths in the months of the CBP sector series (2019-10 … the study's end)
    h4 = next(t for t in results["tests"] if t["id"] == "H4")
    in_series = sum(pd.Timestamp("2019-10-01") <= d <= pd.Timestamp("2024-09-30") for d in known["dates"])
    assert h4["status"] == "ran" and h4["n"] == in_series
    # every record inside is on the map (its layer file holds them), and none outside
    layers = json.loads((out / "map" / "layers.json").read_text(encoding="utf-8"))["layers"]
    deaths_layer = next(layer for layer in layers if layer["source"] == "my-ome")
    drawn = pd.read_parquet(out / "map" / deaths_layer["file"])
    assert len(drawn) == INSIDE
    towers_layer = next(layer for layer in layers if layer["source"] == "my-licences")
    assert len(pd.read_parquet(out / "map" / towers_layer["file"])) == 19
    # 3. the map and the briefing of the run folder
    assert main(["map", "--from", str(out), "--out", str(tmp_path / "map.html"), "--self-contained"]) == 0
    assert main(["brief", "--from", str(out), "--out", str(tmp_path / "brief")]) == 0
    capsys.readouterr()
    # credits: the study's sources, never the Arizona publishers
    sources = {s["role"]: s for s in results["sources"]}
    assert sources["deaths"]["publisher"].startswith("Example County Office")
    assert sources["towers"]["publisher"].startswith("Example licence register")
    texts = _texts(out) | _texts(tmp_path / "brief") | {"map.html": (tmp_path / "map.html").read_text("utf-8")}
    for name, text in texts.items():
        for word in FOREIGN:
            assert word not in text, f"{name} credits {word!r}"
    assert any("Example County Office" in t for n, t in texts.items() if n.endswith("brief.pdf"))
    assert "Example County Office" in texts["map.html"]
    # no name or case number anywhere
    for name, text in texts.items():
        for person in known["names"] + known["cases"]:
            assert person not in text, f"a name or case number reached {name}"
        assert "Persona" not in text and "EPX-" not in text, name


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
