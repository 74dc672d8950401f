"""`borderscape sources` and `borderscape fetch` end to end (local HTTP server on 127.0.0.1)."""

from __future__ import annotations

import functools
import hashlib
import json
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from borderscape import settings
from borderscape.cli import main
from borderscape.layers.catalog import CATALOG


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def served(tmp_path):
    """(base URL, folder served): a static file server on 127.0.0.1."""
    folder = tmp_path / "www"
    folder.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", folder
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def fast_settings(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "backoff", 0.0)
    monkeypatch.setattr(settings, "retries", 1)
    monkeypatch.setattr(settings, "timeout", 5.0)
    monkeypatch.setattr(settings, "progress", None)
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "default-cache")
    monkeypatch.setattr(settings, "data_dir", None)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help(capsys):
    for command in ("sources", "fetch"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and "--cache-dir" in out
    fetch_help = " ".join(run(capsys, "fetch", "--help")[1].split())
    assert "--bbox" in fetch_help and "--max-tiles" in fetch_help and "default 100" in fetch_help


def test_fetch_max_tiles_must_be_positive(tmp_path, capsys):
    code, _, err = run(capsys, "fetch", "dem-copernicus", "--bbox", "-112,31,-111,32", "--max-tiles", "0")
    assert code == 2 and "--max-tiles" in err
    assert not (tmp_path / "default-cache").exists()


def test_sources_plain_text_on_generated_mirror(tmp_path, capsys):
    mirror = tmp_path / "mirror"
    (mirror / "sub").mkdir(parents=True)
    stations = mirror / "sub" / "water_stations_2000_2019.csv"
    stations.write_bytes(b"name,lat,lon\n")
    code, out, err = run(capsys, "sources", "--data-dir", str(mirror), "--cache-dir", str(tmp_path / "c"))
    assert code == 0
    assert f"{stations}  sha256 {hashlib.sha256(b'name,lat,lon' + bytes([10])).hexdigest()}" in out
    assert "pcome\tmissing" in out and "how to get:" in out
    assert f"1 of {len(CATALOG)} sources found" in err


def test_sources_missing_data_dir_is_an_error(tmp_path, capsys):
    code, _, err = run(capsys, "sources", "--data-dir", str(tmp_path / "absent"))
    assert code == 2 and err.startswith("error:") and "does not exist" in err


def test_sources_json_on_shared_mirror(data_dir, tmp_path, capsys):
    code, out, _ = run(capsys, "sources", "--json", "--data-dir", str(data_dir), "--cache-dir", str(tmp_path))
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert set(rows) == set(CATALOG)
    for r in rows.values():
        assert {"id", "title", "publisher", "licence", "citation", "urls", "found", "paths", "sha256", "remedy"} <= set(
            r
        )
        assert r["found"] == bool(r["paths"]) and len(r["sha256"]) == len(r["paths"])
        assert r["found"] or "--data-dir" in r["remedy"]
    pcome = rows["pcome"]
    assert [Path(p).name for p in pcome["paths"]] == ["ogis_deaths_1981_2024-09.csv"]
    assert pcome["sha256"] == [hashlib.sha256(Path(pcome["paths"][0]).read_bytes()).hexdigest()]
    assert pcome["how"] == "mirror" and pcome["format"] == "csv"
    assert [Path(p).name for p in pcome["alternatives"]] == ["ogis_deaths_bansak2025_1981_2020-06.csv"]
    assert len(rows["iom-mmp"]["paths"]) == 12
    assert not rows["eff-towers"]["found"] and "EFF" in rows["eff-towers"]["remedy"]


def test_fetch_url_prints_path_and_sha256(served, tmp_path, capsys):
    base, www = served
    data = b"lat,lon\n31.5,-111.2\n"
    (www / "towers_export.csv").write_bytes(data)
    cache = tmp_path / "cache"
    digest = hashlib.sha256(data).hexdigest()
    code, out, _ = run(
        capsys,
        "fetch",
        "eff-towers",
        "--url",
        f"{base}/towers_export.csv",
        "--cache-dir",
        str(cache),
        "--sha256",
        digest.upper(),
    )
    path = cache / "eff-towers" / "towers_export.csv"
    assert code == 0 and out.strip() == f"eff-towers\t{path}\tsha256 {digest}"
    assert path.read_bytes() == data


def test_fetch_found_by_sources_via_cache(served, tmp_path, capsys):
    base, www = served
    (www / "towers_export.csv").write_bytes(b"a\n1\n")
    cache = tmp_path / "cache"
    assert run(capsys, "fetch", "eff-towers", "--url", f"{base}/towers_export.csv", "--cache-dir", str(cache))[0] == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, _ = run(capsys, "sources", "--json", "--data-dir", str(empty), "--cache-dir", str(cache))
    towers = {r["id"]: r for r in json.loads(out)}["eff-towers"]
    assert code == 0 and towers["found"] and towers["how"] == "cache"
    assert towers["paths"] == [str(cache / "eff-towers" / "towers_export.csv")]


def test_fetch_wrong_sha256(served, tmp_path, capsys):
    base, www = served
    (www / "Capstone_Mortality_Dataset.csv").write_bytes(b"x,y\n")
    code, _, err = run(
        capsys,
        "fetch",
        "pcome-terrain",
        "--url",
        f"{base}/Capstone_Mortality_Dataset.csv",
        "--cache-dir",
        str(tmp_path),
        "--sha256",
        "ab" * 32,
    )
    assert code == 2 and "pcome-terrain" in err and "sha256" in err
    assert not (tmp_path / "pcome-terrain" / "Capstone_Mortality_Dataset.csv").exists()


def test_fetch_404_names_source_status_and_remedy(served, tmp_path, capsys):
    base, _ = served
    code, _, err = run(capsys, "fetch", "iom-mmp", "--url", f"{base}/gone.csv", "--cache-dir", str(tmp_path))
    assert code == 2 and "iom-mmp" in err and "404" in err and "What to do" in err
    assert "missingmigrants.iom.int" in err


def test_fetch_without_network_names_source_and_remedy(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = run(
        capsys,
        "fetch",
        "pcome-terrain",
        "--url",
        f"http://127.0.0.1:{port}/x.csv",
        "--cache-dir",
        str(tmp_path),
        "--retries",
        "0",
    )
    assert code == 2 and "pcome-terrain" in err and "Without network" in err and "--data-dir" in err
    assert "Traceback" not in err


def test_fetch_dem_bbox_with_negative_degrees(served, tmp_path, capsys, monkeypatch):
    base, www = served
    from test_fetch import geotiff

    (www / "Copernicus_DSM_COG_10_N31_00_W112_00_DEM.tif").write_bytes(geotiff(1))
    monkeypatch.setattr(settings, "progress", True)  # draws a rich bar on stderr; must not disturb stdout
    code, out, err = run(
        capsys,
        "fetch",
        "dem-copernicus",
        "--bbox",
        "-112,31,-110,32",
        "--tile-url",
        base + "/{name}.tif",
        "--cache-dir",
        str(tmp_path),
    )
    assert code == 0
    assert out.count("\n") == 1 and "Copernicus_DSM_COG_10_N31_00_W112_00_DEM.tif" in out
    assert "skipped" in err and "N31_00_W111_00" in err


def test_fetch_argument_errors(tmp_path, capsys):
    code, _, err = run(capsys, "fetch", "dem-copernicus", "--cache-dir", str(tmp_path))
    assert code == 2 and "--bbox" in err
    code, _, err = run(capsys, "fetch", "dem-copernicus", "--bbox", "1,2,3")
    assert code == 2 and "WEST,SOUTH,EAST,NORTH" in err
    code, _, err = run(capsys, "fetch", "pcome", "iom-mmp", "--url", "http://127.0.0.1:9/x.csv")
    assert code == 2 and "single SOURCE" in err
    code, _, err = run(capsys, "fetch", "no-such-source")
    assert code == 2 and "unknown source" in err and "pcome" in err
    code, _, err = run(capsys, "fetch", "pcome", "--cache-dir", str(tmp_path))
    assert code == 2 and "no direct download link" in err and "humaneborders.info" in err


def test_settings_read_from_environment(monkeypatch, tmp_path):
    import importlib

    from borderscape.errors import InputError

    names = ("data_dir", "cache_dir", "timeout", "retries", "backoff", "progress")
    saved = {n: getattr(settings, n) for n in names}
    try:
        monkeypatch.setenv("BORDERSCAPE_DATA", str(tmp_path / "mirror"))
        monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
        monkeypatch.setenv("BORDERSCAPE_TIMEOUT", "12.5")
        monkeypatch.setenv("BORDERSCAPE_RETRIES", "0")
        monkeypatch.setenv("BORDERSCAPE_PROGRESS", "off")
        importlib.reload(settings)
        assert settings.data_dir == tmp_path / "mirror" and settings.cache_dir == tmp_path / "cache"
        assert settings.timeout == 12.5 and settings.retries == 0 and settings.progress is False
        monkeypatch.setenv("BORDERSCAPE_PROGRESS", "auto")
        monkeypatch.delenv("BORDERSCAPE_CACHE")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        importlib.reload(settings)
        assert settings.progress is None and settings.cache_dir == tmp_path / "xdg" / "borderscape"
        monkeypatch.setenv("BORDERSCAPE_TIMEOUT", "soon")
        with pytest.raises(InputError, match="BORDERSCAPE_TIMEOUT"):
            importlib.reload(settings)
    finally:
        for n, v in saved.items():
            setattr(settings, n, v)
