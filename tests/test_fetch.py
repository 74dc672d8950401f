"""Downloads against a local HTTP server on 127.0.0.1, the mirror rule, and locate()."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import socket
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from borderscape.geo.errors import ChecksumError, DownloadError, InputError, SourceError, SourceNotFound
from borderscape.layers.catalog import CATALOG, dem_tile_names, get_source
from borderscape.layers.fetch import (
    HTTPStatusError,
    download,
    extract_zip,
    fetch,
    find_in_mirror,
    locate,
    sha256_file,
)

SIZE = 200_000  # several read chunks
DROP_AFTER = 70_000


def payload(seed: int, size: int = SIZE) -> bytes:
    return random.Random(seed).randbytes(size)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def geotiff(seed: int, size: int = 32) -> bytes:
    """A small valid GeoTIFF (an elevation tile) as bytes."""
    import numpy as np
    from affine import Affine
    from rasterio.io import MemoryFile

    arr = np.random.default_rng(seed).integers(0, 2000, (size, size)).astype("int16")
    with MemoryFile() as mf:
        profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="int16", crs="EPSG:4326")
        with mf.open(**profile, transform=Affine(1 / size, 0, -112, 0, -1 / size, 32)) as ds:
            ds.write(arr, 1)
        return mf.read()


class Server:
    """A local HTTP server with misbehaving routes; records every request it answers."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append((self.path, self.headers.get("Range")))
                    count = sum(p == self.path for p, _ in server.requests)
                server.answer(self, count)

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                # a client that gives up mid-transfer (the timeout tests) is expected; the
                # default handler would print a traceback into a later test's output
                pass

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, path: str) -> int:
        return sum(p == path for p, _ in self.requests)

    # -- responses -------------------------------------------------------------------
    def answer(self, h: BaseHTTPRequestHandler, count: int) -> None:
        path = h.path
        route = path.split("/")[1]
        name = path.rsplit("/", 1)[-1]
        if route == "slow":
            time.sleep(1.0)
            return self.send(h, self.files.get(name, b"late"))
        if route == "error500once" and count == 1:
            return self.status(h, 500)
        data = self.files.get(name)
        if data is None:
            return self.status(h, 404)
        if route == "plain":  # ignores Range
            return self.send(h, data)
        if route == "range":
            return self.send(h, data, range_header=h.headers.get("Range"))
        if route == "droponce":  # first body cut short, later requests honour Range
            if count == 1:
                return self.send(h, data, cut=DROP_AFTER)
            return self.send(h, data, range_header=h.headers.get("Range"))
        if route == "droponce-norange":  # first body cut short, later requests ignore Range
            return self.send(h, data, cut=DROP_AFTER if count == 1 else None)
        if route == "dropalways":
            return self.send(h, data, cut=DROP_AFTER)
        if route == "error500once":
            return self.send(h, data)
        return self.status(h, 404)

    def status(self, h: BaseHTTPRequestHandler, code: int) -> None:
        h.send_response(code)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def send(
        self, h: BaseHTTPRequestHandler, data: bytes, *, range_header: str | None = None, cut: int | None = None
    ) -> None:
        start = 0
        if range_header and range_header.startswith("bytes=") and range_header.endswith("-"):
            start = int(range_header[len("bytes=") : -1])
            if start >= len(data):
                return self.status(h, 416)
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            h.send_response(200)
        body = data[start:]
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if cut is None:
            h.wfile.write(body)
            return
        h.wfile.write(body[:cut])
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------------ download()


def test_download_normal_records_sha256_and_writes_atomically(server, tmp_path):
    data = payload(1)
    server.files["a.bin"] = data
    seen: list[tuple[int, int | None]] = []
    index = tmp_path / "index.json"
    rec = download(
        f"{server.base}/plain/a.bin",
        tmp_path / "src" / "a.bin",
        sha256=sha(data),
        progress=lambda d, t: seen.append((d, t)),
        index=index,
        backoff=0,
    )
    assert (tmp_path / "src" / "a.bin").read_bytes() == data
    assert rec.sha256 == sha(data) and rec.size == SIZE and not rec.reused
    assert seen[-1] == (SIZE, SIZE) and len(seen) > 2
    entry = json.loads(index.read_text())["files"]["src/a.bin"]
    assert entry["url"] == f"{server.base}/plain/a.bin"
    assert entry["sha256"] == sha(data) and entry["size"] == SIZE and entry["source"] == "src"
    assert leftovers(tmp_path / "src") == []


def test_dropped_connection_resumes_with_range(server, tmp_path):
    data = payload(2)
    server.files["b.bin"] = data
    rec = download(f"{server.base}/droponce/b.bin", tmp_path / "b.bin", retries=2, backoff=0)
    assert (tmp_path / "b.bin").read_bytes() == data
    assert rec.sha256 == sha(data)
    assert [r for p, r in server.requests] == [None, f"bytes={DROP_AFTER}-"]
    assert leftovers(tmp_path) == []


def test_dropped_connection_restarts_when_server_ignores_range(server, tmp_path):
    data = payload(3)
    server.files["c.bin"] = data
    rec = download(f"{server.base}/droponce-norange/c.bin", tmp_path / "c.bin", retries=1, backoff=0)
    assert (tmp_path / "c.bin").read_bytes() == data and rec.sha256 == sha(data)
    assert server.requests[1][1] == f"bytes={DROP_AFTER}-"  # asked to resume, got 200, restarted


def test_partial_download_is_kept_and_resumed_by_a_later_call(server, tmp_path):
    data = payload(4)
    server.files["d.bin"] = data
    url = f"{server.base}/droponce/d.bin"
    with pytest.raises(DownloadError, match="70000 of 200000 bytes"):
        download(url, tmp_path / "d.bin", retries=0, backoff=0)
    assert not (tmp_path / "d.bin").exists()
    [part] = leftovers(tmp_path)
    assert (tmp_path / part).stat().st_size == DROP_AFTER
    download(url, tmp_path / "d.bin", retries=0, backoff=0)
    assert (tmp_path / "d.bin").read_bytes() == data
    assert server.requests[-1][1] == f"bytes={DROP_AFTER}-"


def test_partial_longer_than_a_replaced_remote_file_restarts(server, tmp_path):
    server.files["r.bin"] = payload(11)
    url = f"{server.base}/droponce/r.bin"
    with pytest.raises(DownloadError):
        download(url, tmp_path / "r.bin", retries=0, backoff=0)  # leaves 70,000 bytes
    server.files["r.bin"] = new = payload(12, 50_000)  # the publisher replaced the file by a shorter one
    rec = download(url, tmp_path / "r.bin", retries=1, backoff=0)
    assert (tmp_path / "r.bin").read_bytes() == new and rec.sha256 == sha(new)
    assert [r for _, r in server.requests] == [None, f"bytes={DROP_AFTER}-", None]


def test_always_dropping_server_ends_in_download_error_after_bounded_retries(server, tmp_path):
    server.files["e.bin"] = payload(5)
    with pytest.raises(DownloadError) as err:
        download(f"{server.base}/dropalways/e.bin", tmp_path / "e.bin", retries=2, backoff=0)
    assert "3 attempt(s) failed" in str(err.value) and "dropalways/e.bin" in str(err.value)
    assert err.value.remedy
    assert server.count("/dropalways/e.bin") == 3
    assert not (tmp_path / "e.bin").exists()


def test_wrong_checksum_raises_and_leaves_no_file(server, tmp_path):
    server.files["f.bin"] = payload(6)
    with pytest.raises(ChecksumError, match="expected 0000"):
        download(f"{server.base}/plain/f.bin", tmp_path / "f.bin", sha256="0" * 64, backoff=0)
    assert list(tmp_path.iterdir()) == []


def test_404_names_url_and_status_and_is_not_retried(server, tmp_path):
    url = f"{server.base}/plain/missing.bin"
    with pytest.raises(HTTPStatusError) as err:
        download(url, tmp_path / "m.bin", retries=3, backoff=0)
    assert isinstance(err.value, DownloadError)
    assert err.value.status == 404 and url in str(err.value) and "404" in str(err.value)
    assert "--url" in err.value.remedy
    assert server.count("/plain/missing.bin") == 1
    assert list(tmp_path.iterdir()) == []


def test_server_error_is_retried(server, tmp_path):
    data = payload(7)
    server.files["g.bin"] = data
    download(f"{server.base}/error500once/g.bin", tmp_path / "g.bin", retries=1, backoff=0)
    assert (tmp_path / "g.bin").read_bytes() == data
    assert server.count("/error500once/g.bin") == 2


def test_slow_server_times_out(server, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match="2 attempt"):
        download(f"{server.base}/slow/h.bin", tmp_path / "h.bin", timeout=0.2, retries=1, backoff=0)
    assert time.monotonic() - t0 < 0.9  # gave up before the server's 1 s delay
    assert not (tmp_path / "h.bin").exists()


def test_unreachable_host_is_a_download_error(tmp_path):
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="could not download"):
        download(f"http://127.0.0.1:{port}/x.csv", tmp_path / "x.csv", retries=0, timeout=2)


def test_sha256_file_matches_hashlib(tmp_path):
    data = payload(8, 3_000_000)
    (tmp_path / "x").write_bytes(data)
    assert sha256_file(tmp_path / "x") == sha(data)


# ------------------------------------------------------------------------ fetch()


def test_fetch_user_supplied_url_into_cache_then_locate(server, tmp_path):
    data = b"lat,lon,kind\n31.5,-111.0,IFT\n"
    server.files["eff_data.csv"] = data
    cache = tmp_path / "cache"
    got = fetch("eff-towers", cache_dir=cache, url=f"{server.base}/plain/eff_data.csv", backoff=0)
    assert [r.path for r in got.files] == [cache / "eff-towers" / "eff_data.csv"]
    assert got.files[0].sha256 == sha(data)
    empty = tmp_path / "mirror"
    empty.mkdir()
    loc = locate("eff-towers", data_dir=empty, cache_dir=cache)
    assert loc.how == "cache" and loc.paths == [cache / "eff-towers" / "eff_data.csv"]
    assert loc.format == "csv" and loc.sha256 == [sha(data)]
    again = fetch("eff-towers", cache_dir=cache, url=f"{server.base}/plain/eff_data.csv", backoff=0)
    assert again.files[0].reused and server.count("/plain/eff_data.csv") == 1
    fetch("eff-towers", cache_dir=cache, url=f"{server.base}/plain/eff_data.csv", backoff=0, force=True)
    assert server.count("/plain/eff_data.csv") == 2


def test_fetch_without_link_or_url_says_what_to_do(tmp_path):
    with pytest.raises(SourceError) as err:
        fetch("eff-towers", cache_dir=tmp_path)
    assert "--url URL" in err.value.remedy and "EFF" in err.value.remedy


def test_fetch_error_names_source_and_remedy(server, tmp_path):
    with pytest.raises(DownloadError) as err:
        fetch("pcome-terrain", cache_dir=tmp_path, url=f"{server.base}/plain/nothing.csv", backoff=0)
    assert "pcome-terrain" in str(err.value) and "404" in str(err.value)
    assert "Capstone_Mortality_Dataset.csv" in err.value.remedy and "--data-dir" in err.value.remedy


def test_fetch_zip_is_kept_and_extracted(server, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("tl_2021_04_prisecroads.shp", b"shp bytes")
        zf.writestr("tl_2021_04_prisecroads.dbf", b"dbf bytes")
    server.files["tl_2021_04_prisecroads.zip"] = buf.getvalue()
    cache = tmp_path / "cache"
    got = fetch("tiger-roads-az", cache_dir=cache, url=f"{server.base}/plain/tl_2021_04_prisecroads.zip", backoff=0)
    folder = cache / "tiger-roads-az"
    assert (folder / "tl_2021_04_prisecroads.zip").is_file()
    assert sorted(p.name for p in got.extracted) == ["tl_2021_04_prisecroads.dbf", "tl_2021_04_prisecroads.shp"]
    empty = tmp_path / "mirror"
    empty.mkdir()
    loc = locate("tiger-roads-az", data_dir=empty, cache_dir=cache)
    assert loc.how == "cache" and loc.paths[0].name == "tl_2021_04_prisecroads.shp" and loc.format == "shp"
    assert folder / "tl_2021_04_prisecroads.zip" in loc.alternatives


def test_extract_zip_refuses_path_traversal(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        zf.writestr("../escaped.txt", b"bad")
    with pytest.raises(InputError, match="unsafe member"):
        extract_zip(archive)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "evil").exists()


def test_extract_zip_rejects_corrupt_file(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a valid zip"):
        extract_zip(tmp_path / "bad.zip")


def test_fetch_dem_tiles_of_a_bbox_skips_missing_tiles(server, tmp_path):
    bbox = (-112.0, 31.0, -110.0, 33.0)
    names = dem_tile_names("dem-copernicus", bbox)
    assert len(names) == 4
    sea = names[-1]  # pretend one tile is all sea: the server has no such tile
    for i, name in enumerate(names[:-1]):
        server.files[f"{name}.tif"] = geotiff(100 + i)
    cache = tmp_path / "cache"
    got = fetch("dem-copernicus", cache_dir=cache, bbox=bbox, tile_url=f"{server.base}/range/{{name}}.tif", backoff=0)
    assert sorted(r.path.name for r in got.files) == sorted(f"{n}.tif" for n in names[:-1])
    assert [u for u, _ in got.skipped] == [f"{server.base}/range/{sea}.tif"]
    assert "404" in got.skipped[0][1]
    for r in got.files:
        assert r.sha256 == sha(server.files[r.path.name])
    empty = tmp_path / "mirror"
    empty.mkdir()
    loc = locate("dem-copernicus", data_dir=empty, cache_dir=cache)
    assert loc.how == "cache" and loc.format == "geotiff"
    assert sorted(p.name for p in loc.paths) == sorted(f"{n}.tif" for n in names[:-1])


def test_fetch_3dep_tiles_use_catalog_names(server, tmp_path):
    [name] = dem_tile_names("dem-3dep", (-111.5, 31.2, -111.1, 31.8))
    assert name == "n32w112"
    server.files[f"USGS_1_{name}.tif"] = geotiff(9)
    got = fetch(
        "dem-3dep",
        cache_dir=tmp_path,
        bbox=(-111.5, 31.2, -111.1, 31.8),
        tile_url=f"{server.base}/plain/USGS_1_{{name}}.tif",
        backoff=0,
    )
    assert got.files[0].path == tmp_path / "dem-3dep" / "USGS_1_n32w112.tif"
    assert find_in_mirror("dem-3dep", tmp_path / "dem-3dep").paths == [got.files[0].path]


def test_fetch_dem_all_tiles_missing_or_no_bbox(server, tmp_path):
    with pytest.raises(DownloadError, match="no dem-copernicus tile"):
        fetch(
            "dem-copernicus",
            cache_dir=tmp_path,
            bbox=(-30.0, 30.0, -29.0, 31.0),
            tile_url=f"{server.base}/plain/{{name}}.tif",
            backoff=0,
        )
    with pytest.raises(SourceError, match="bounding box"):
        fetch("dem-copernicus", cache_dir=tmp_path)


# ------------------------------------------------------------------------ mirror rule (generated folder)


def touch(path: Path, mtime: float, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def test_mirror_rule_date_in_name_beats_mtime(tmp_path):
    new = touch(tmp_path / "a" / "ogis_deaths_1981_2024-09.csv", 1_000)
    old = touch(tmp_path / "b" / "OGIS_DEATHS_bansak2025_1981_2020-06.CSV", 2_000)  # newer mtime, older data
    m = find_in_mirror("pcome", tmp_path)
    assert m.paths == [new] and m.alternatives == [old] and m.format == "csv"
    assert "date in its name" in m.reason


def test_mirror_rule_mtime_breaks_ties_and_preferred_pattern_wins(tmp_path):
    touch(tmp_path / "Missing_Migrants_Global_Figures_allData.csv", 5_000)
    older = touch(tmp_path / "x" / "MissingMigrants-Global-2026-05-06.csv", 1_000)
    newer = touch(tmp_path / "y" / "MissingMigrants-Global-2026-05-06.csv", 2_000)
    m = find_in_mirror("iom-mmp", tmp_path)
    assert m.paths == [newer] and m.alternatives[0] == older
    assert "modification time" in m.reason
    assert m.alternatives[-1].name == "Missing_Migrants_Global_Figures_allData.csv"
    parts = [touch(tmp_path / "json" / f"{y}.json", 100) for y in (2014, 2015, 2016)]
    m = find_in_mirror("iom-mmp", tmp_path)
    assert m.paths == parts and m.format == "json-records" and m.pattern.parts
    assert len(m.alternatives) == 3


def test_mirror_rule_parts_from_one_folder(tmp_path):
    old = [touch(tmp_path / "2023copy" / f"{y}.json", 100) for y in (2014, 2015)]
    new = [touch(tmp_path / "current" / f"{y}.json", 100) for y in (2014, 2015, 2016)]
    m = find_in_mirror("iom-mmp", tmp_path)
    assert m.paths == new and m.alternatives == old


def test_mirror_ignores_hidden_and_partial_files(tmp_path):
    touch(tmp_path / ".ogis_deaths_2099-01.csv.abc.part", 100)
    touch(tmp_path / ".hidden" / "ogis_deaths_2099-01.csv", 100)
    assert find_in_mirror("pcome", tmp_path) is None


# ------------------------------------------------------------------------ locate()


def test_locate_nothing_raises_source_not_found_with_remedy(tmp_path, monkeypatch):
    monkeypatch.delenv("BORDERSCAPE_DATA", raising=False)
    with pytest.raises(SourceNotFound) as err:
        locate("pcome", cache_dir=tmp_path)
    msg = str(err.value)
    assert "'pcome'" in msg and "humaneborders.info" in err.value.remedy
    assert "--data-dir DIR" in err.value.remedy and "BORDERSCAPE_DATA" in err.value.remedy
    with pytest.raises(SourceNotFound) as err:
        locate("dem-copernicus", cache_dir=tmp_path)
    assert "borderscape fetch dem-copernicus --bbox" in err.value.remedy


def test_locate_uses_env_mirror(tmp_path, monkeypatch):
    f = touch(tmp_path / "m" / "water_stations_2000_2019.csv", 100, b"a,b\n")
    monkeypatch.setenv("BORDERSCAPE_DATA", str(tmp_path / "m"))
    loc = locate("hb-water-stations", cache_dir=tmp_path / "c")
    assert loc.how == "mirror" and loc.paths == [f] and loc.sha256 == [sha(b"a,b\n")]


def test_locate_explicit_file_format_from_suffix(tmp_path):
    a = touch(tmp_path / "my export.csv", 1)
    assert locate("pcome", file=a, cache_dir=tmp_path).format == "csv"
    j = touch(tmp_path / "records.json", 1)
    assert locate("iom-mmp", file=j, cache_dir=tmp_path).format == "json-records"
    assert locate("imo-srr", file=j, cache_dir=tmp_path).format == "geojson"
    loc = locate("pcome", file=a, cache_dir=tmp_path)
    assert loc.how == "file" and "explicit" in loc.describe()
    with pytest.raises(InputError, match="suffix"):
        locate("pcome", file=touch(tmp_path / "data.xyz", 1), cache_dir=tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        locate("pcome", file=tmp_path / "nope.csv", cache_dir=tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        locate("pcome", data_dir=tmp_path / "nope", cache_dir=tmp_path)
    with pytest.raises(SourceError, match="unknown source"):
        locate("no-such-source")


# ------------------------------------------------------------------------ the shared mirror

# `data_dir` (tests/conftest.py): the real-data mirror, BORDERSCAPE_DATA or <repo>/../shared/data;
# these tests are skipped where it is absent.


def test_shared_pcome_newest_export_chosen(data_dir, tmp_path):
    loc = locate("pcome", data_dir=data_dir, cache_dir=tmp_path)
    assert [p.name for p in loc.paths] == ["ogis_deaths_1981_2024-09.csv"]
    assert [p.name for p in loc.alternatives] == ["ogis_deaths_bansak2025_1981_2020-06.csv"]
    assert loc.how == "mirror" and loc.format == "csv"
    assert loc.sha256 == [hashlib.sha256(loc.paths[0].read_bytes()).hexdigest()]
    line = loc.describe()
    assert "ogis_deaths_1981_2024-09.csv" in line and "ogis_deaths_bansak2025_1981_2020-06.csv" in line


def test_shared_iom_yearly_json_form_one_dataset(data_dir, tmp_path):
    loc = locate("iom-mmp", data_dir=data_dir, cache_dir=tmp_path)
    assert [p.name for p in loc.paths] == [f"{y}.json" for y in range(2014, 2026)]
    assert loc.format == "json-records" and len(loc.sha256) == 12
    assert "MissingMigrants-Global-2026-05-06.csv" in [p.name for p in loc.alternatives]


def test_shared_explicit_file_overrides_mirror(data_dir):
    old = next(data_dir.rglob("ogis_deaths_bansak2025_1981_2020-06.csv"))
    loc = locate("pcome", file=old, data_dir=data_dir)
    assert loc.paths == [old] and loc.how == "file"


@pytest.mark.parametrize("source_id", sorted(CATALOG))
def test_shared_every_source_found_or_not_found_with_remedy(source_id, data_dir, tmp_path):
    try:
        loc = locate(source_id, data_dir=data_dir, cache_dir=tmp_path)
    except SourceNotFound as exc:
        assert source_id in str(exc) and "--data-dir" in exc.remedy
        assert get_source(source_id).how_to_get.rstrip(". ") in exc.remedy
        return
    assert loc.how == "mirror" and loc.paths and all(p.is_file() for p in loc.paths)
    assert all(p.resolve().is_relative_to(data_dir.resolve()) for p in loc.paths)
    assert loc.format in {p.format for p in loc.source.patterns}
    assert len(loc.sha256) == len(loc.paths)


def test_unwritable_destination_is_a_typed_error(server, tmp_path):
    server.files["w.bin"] = payload(10, 100)
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    with pytest.raises(DownloadError, match="cannot write"):
        download(f"{server.base}/plain/w.bin", blocker / "w.bin", retries=3, backoff=0)
    assert server.count("/plain/w.bin") == 0
