"""Hostile inputs and outputs (issue 16): spreadsheet-safe CSV, safe embed URLs, and typed
errors (never ``internal error``) for odd headers, encodings and random bytes."""

from __future__ import annotations

import csv

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderscape import output, webmap
from borderscape.analyses.study import load_study
from borderscape.cli import main
from borderscape.geo.errors import BorderscapeError, IngestError, InputError, StudyError
from borderscape.layers.ingest import ingest_file
from borderscape.layers.tables import read_table, spreadsheet_safe

HOSTILE_CELLS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]
COLS = {"lat": "lat", "lon": "lon", "date": "date", "dead": "dead", "cause": "cause"}


def _raw_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# -- 1. spreadsheet-safe CSV ------------------------------------------------------------------


def test_spreadsheet_safe_escapes_formulas_and_keeps_numbers():
    frame = pd.DataFrame(
        {
            "text": [*HOSTILE_CELLS, "-2", "+3.5", "-1e-3", "drowning", None],
            "n": [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8],
            "x": [-2.5] * 11,
            "when": pd.date_range("2020-01-01", periods=11, freq="D"),
        }
    )
    before = frame.copy()
    safe = spreadsheet_safe(frame)
    pd.testing.assert_frame_equal(frame, before)  # not modified in place
    assert safe["text"].tolist()[:6] == ["'" + c for c in HOSTILE_CELLS]
    assert safe["text"].tolist()[6:10] == ["-2", "+3.5", "-1e-3", "drowning"]
    assert pd.isna(safe["text"].iloc[10])
    pd.testing.assert_series_equal(safe["n"], frame["n"])
    pd.testing.assert_series_equal(safe["x"], frame["x"])
    pd.testing.assert_series_equal(safe["when"], frame["when"])
    assert list(spreadsheet_safe(pd.DataFrame({"=bad": [1], "ok": [2]})).columns) == ["'=bad", "ok"]
    categorical = pd.DataFrame({"c": pd.Categorical(["=1", "a"])})
    assert spreadsheet_safe(categorical)["c"].tolist() == ["'=1", "a"]


def test_run_tables_csv_is_spreadsheet_safe(tmp_path):
    table = gpd.GeoDataFrame(
        {"cause": HOSTILE_CELLS, "dead": [-1, 2, 3, 4, 5, 6]},
        geometry=[shapely.Point(-111, 31.5)] * 6,
        crs="EPSG:4326",
    )
    written = output.write_tables(tmp_path, {"h9_cells": table}, simulated=False)
    rows = _raw_csv(next(p for p in written if p.suffix == ".csv"))
    assert rows[0] == ["cause", "dead", "geometry"]
    assert [r[0] for r in rows[1:]] == ["'" + c for c in HOSTILE_CELLS]
    assert [r[1] for r in rows[1:]] == ["-1", "2", "3", "4", "5", "6"]  # a negative number stays a number
    assert all(r[2].startswith("POINT") for r in rows[1:])
    # the GeoParquet beside it keeps the values as they are
    assert gpd.read_parquet(tmp_path / "h9_cells.parquet")["cause"].tolist() == HOSTILE_CELLS


def test_ingest_out_csv_is_spreadsheet_safe(tmp_path, capsys):
    src = tmp_path / "mine.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["lat", "lon", "date", "dead", "cause"])
        for i, cell in enumerate(HOSTILE_CELLS):
            w.writerow([31.5 + i / 100, -111.2, "2021-06-01", 1, cell])
    out = tmp_path / "mine-out.csv"
    code = main(["ingest", "deaths", str(src), "--columns", "lat=lat,lon=lon,date=date,dead=dead,cause=cause",
                 "--out", str(out)])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    rows = _raw_csv(out)
    header = rows[0]
    causes = [r[header.index("cause")] for r in rows[1:]]
    for cell in causes:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert '\'=HYPERLINK("http://x","y")' in causes and "'-2+3" in causes
    lons = [r[header.index("geometry")] for r in rows[1:]]
    assert all(g.startswith("POINT (-111.2") for g in lons)  # WKT with a negative number, untouched


# -- 2. embed URL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/map.html",
        "\\\\evil\\share\\map.html",
        "https:",
        "http:/map.html",
        "",
    ],
)
def test_embed_url_refused(url):
    with pytest.raises(InputError, match="embed URL") as info:
        webmap.embed_snippet(url, title="t")
    assert info.value.remedy and "https://" in info.value.remedy


@pytest.mark.parametrize(
    "url", ["map.html", "maps/az.html", "./a:b.html", "../m.html?x=1#y", "https://example.org/m.html", "http://h/m"]
)
def test_embed_url_accepted(url):
    assert "<iframe src=" in webmap.embed_snippet(url, title="t")


def test_cli_embed_url_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "m.html"
    code = main(["map", "--layer", str(tmp_path / "absent.parquet"), "--out", str(out), "--embed",
                 "--embed-url", "javascript:alert(document.domain)"])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2 and "embed URL" in err and "internal error" not in err
    assert not out.exists()


# -- 3. typed errors ---------------------------------------------------------------------------


def test_headers_differing_only_by_spaces(tmp_path, capsys):
    p = tmp_path / "dup.csv"
    p.write_text("lat,lon,Date,Date ,dead,cause\n31.5,-111.2,2021-06-01,2021-06-02,1,heat\n")
    with pytest.raises(IngestError, match="'Date' once spaces are removed") as info:
        read_table(p)
    assert "rename" in info.value.remedy
    code = main(["ingest", "deaths", str(p), "--columns", "lat=lat,lon=lon,date=Date", "--out",
                 str(tmp_path / "o.parquet")])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2 and "spaces are removed" in err and "internal error" not in err


def test_study_file_not_utf8(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_bytes('[study]\nname = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(StudyError, match="not UTF-8") as info:
        load_study(p)
    assert "save the study file as UTF-8" in info.value.remedy
    code = main(["run", str(p)])
    _, err = capsys.readouterr()
    assert code == 2 and "not UTF-8" in err and "internal error" not in err


def test_study_file_is_a_folder(tmp_path):
    folder = tmp_path / "s.toml"
    folder.mkdir()
    with pytest.raises(StudyError, match="cannot be read"):
        load_study(folder)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_table_is_read(tmp_path, encoding):
    text = "lat,lon,date,dead,cause\n31.5,-111.2,2021-06-01,1,ahogamiento ñ\n31.6,-111.3,2021-07-01,2,heat\n"
    utf8, utf16 = tmp_path / "a.csv", tmp_path / "b.csv"
    utf8.write_text(text, encoding="utf-8")
    utf16.write_bytes(text.encode(encoding))
    table = read_table(utf16)
    pd.testing.assert_frame_equal(table.frame, read_table(utf8).frame)
    assert table.encoding == encoding and any("UTF-16" in n for n in table.notes)
    a, b = ingest_file("deaths", utf8, columns=COLS), ingest_file("deaths", utf16, columns=COLS)
    pd.testing.assert_frame_equal(pd.DataFrame(a.frame), pd.DataFrame(b.frame))


def test_broken_utf16_is_typed(tmp_path):
    p = tmp_path / "broken.csv"
    p.write_bytes(b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le") + b"\x00\xd8")  # a lone surrogate
    with pytest.raises(IngestError, match="UTF-16") as info:
        read_table(p)
    assert "save it as UTF-8" in info.value.remedy


# -- fuzz: only typed errors escape ----------------------------------------------------------

CSV_ALPHABET = st.sampled_from(list("ab1-2.,;|\t\"' \n\r=+@é\x00\ufeffλ") + ["lat", "lon", "date", "dead", "cause"])
CSV_TEXT = st.lists(CSV_ALPHABET, max_size=200).map("".join)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _only_typed(call) -> None:
    try:
        call()
    except BorderscapeError:
        pass


@FUZZ
@given(data=st.binary(max_size=600))
def test_fuzz_table_reader_bytes(tmp_path, data):
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    _only_typed(lambda: read_table(p))


@FUZZ
@given(text=CSV_TEXT, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_fuzz_table_reader_csv_text(tmp_path, text, encoding):
    p = tmp_path / "f.csv"
    p.write_bytes(text.encode(encoding, errors="replace"))
    _only_typed(lambda: read_table(p))
    _only_typed(lambda: ingest_file("deaths", p, columns=COLS))


@FUZZ
@given(header=st.lists(st.sampled_from(["lat", "lon", "date", "dead", "cause", " lat", "lat ", "", "x"]), max_size=7),
       rows=st.lists(st.lists(st.sampled_from(["31.5", "-111", "2021-06-01", "1", "", "=1", "x", "a,b", '"']),
                              max_size=7), max_size=5))  # fmt: skip
def test_fuzz_table_reader_rows(tmp_path, header, rows):
    p = tmp_path / "f.csv"
    p.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    _only_typed(lambda: read_table(p))
    _only_typed(lambda: ingest_file("deaths", p, columns=COLS))


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), CSV_TEXT.map(lambda t: t.encode("utf-8"))))
def test_fuzz_study_loader(tmp_path, data):
    p = tmp_path / "s.toml"
    p.write_bytes(data)
    _only_typed(lambda: load_study(p))


TOML_ALPHABET = st.sampled_from(
    ["[study]\n", "[region]\n", "[periods]\n", "name = ", "bbox = ", "seed = ", '"x"', "[1,2,3,4]", "1", "-1e400",
     "\n", "=", "[", "]", "{", "}", "'", '"', "é", "\x00", "[[layers]]\n", "start = ", "2020-01-01"]
)  # fmt: skip


@FUZZ
@given(parts=st.lists(TOML_ALPHABET, max_size=40))
def test_fuzz_study_loader_toml_like(tmp_path, parts):
    p = tmp_path / "s.toml"
    p.write_text("".join(parts), encoding="utf-8")
    _only_typed(lambda: load_study(p))
