"""`fetch` under hostile input (issue 16): URLs, names, paths, untrustworthy downloads, tile caps.

Every download goes to the local HTTP server of tests/test_fetch.py on 127.0.0.1, given
extra misbehaving routes here.  Each case asserts the typed error and its remedy, or that
nothing was written outside the cache: every file and folder under a temporary root (the
cache's parent folders, a sibling folder, a file beside the cache) is listed with its type,
size and modification time before and after, and only the cache may change.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import random
import sqlite3
import stat
import zipfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from test_fetch import Server, geotiff, sha

from borderscape import settings
from borderscape.cli import main
from borderscape.geo.errors import ChecksumError, DownloadError, InputError, SourceNotFound
from borderscape.layers import fetch as fetch_module
from borderscape.layers.catalog import CATALOG, Pin, dem_tile_count, dem_tile_names
from borderscape.layers.fetch import (
    INDEX_NAME,
    MAX_TILES,
    DownloadCheckError,
    UnsafeRedirect,
    check_download,
    check_url,
    download,
    extract_zip,
    fetch,
    locate,
    safe_file_name,
)

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1><p>The requested file was not found.</p></body></html>\n"
)


# --------------------------------------------------------------------------- the server


class HostileServer(Server):
    """The server of test_fetch.py with more ways to misbehave.

    Routes (first path segment): ``html`` an HTML error page with status 200 whatever is
    asked; ``nolength`` the file with no Content-Length, cut in the middle, then the
    connection closed; ``short`` a Content-Length larger than the body sent; ``corruptresume``
    first the file cut in the middle, then (asked for the rest with Range) a 206 whose bytes
    are corrupted, then the file intact; ``redirect-file`` / ``redirect-ftp`` a 302 to a
    ``file:`` / ``ftp:`` URL; ``redirect-ok`` a 302 to the same file under ``plain``;
    ``unasked206`` a 206 with the first 100 bytes although no Range was asked.
    """

    def answer(self, h: BaseHTTPRequestHandler, count: int) -> None:
        route = h.path.split("/")[1]
        name = h.path.rsplit("/", 1)[-1]
        data = self.files.get(name)
        if route == "html":
            return self.raw(h, 200, HTML_PAGE, {"Content-Type": "text/html"})
        if route == "redirect-file":
            return self.raw(h, 302, b"", {"Location": "file:///etc/hostname"})
        if route == "redirect-ftp":
            return self.raw(h, 302, b"", {"Location": f"ftp://127.0.0.1/{name}"})
        if route == "redirect-ok":
            return self.raw(h, 302, b"", {"Location": f"/plain/{name}"})
        if route == "unasked206" and data is not None:  # a slice of the file although no Range was asked
            return self.raw(h, 206, data[:100], {"Content-Range": f"bytes 0-99/{len(data)}"})
        if data is None or route not in ("nolength", "short", "corruptresume"):
            return super().answer(h, count)
        half = len(data) // 2
        if route == "nolength":
            return self.raw(h, 200, data[:half], {}, length=False)
        if route == "short":
            return self.raw(h, 200, data[:half], {"Content-Length": str(len(data))})
        # corruptresume
        rng = h.headers.get("Range")
        if count == 1:
            return self.raw(h, 200, data[:half], {"Content-Length": str(len(data))})
        if count == 2 and rng:
            start = int(rng[len("bytes=") : -1])
            rest = bytes(b ^ 0x5A for b in data[start:])
            headers = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}", "Content-Length": str(len(rest))}
            return self.raw(h, 206, rest, headers)
        return self.send(h, data)

    def raw(self, h: BaseHTTPRequestHandler, code: int, body: bytes, headers: dict, *, length: bool = True) -> None:
        h.send_response(code)
        for k, v in headers.items():
            h.send_header(k, v)
        if length and "Content-Length" not in headers:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
        h.close_connection = True


@pytest.fixture
def server():
    s = HostileServer()
    yield s
    s.close()


# --------------------------------------------------------------------------- the temporary root


def listing(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and folder under ``root``: relative path -> (type, size, mtime in ns)."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        out[p.relative_to(root).as_posix()] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns)
    return out


class Root:
    """A temporary root: ``home/cache`` (the cache, created empty), ``home/precious.txt``,
    ``outside/`` (a sibling folder) and ``ESCAPED.txt`` targets that must never appear."""

    def __init__(self, base: Path) -> None:
        self.root = base / "root"
        self.cache = self.root / "home" / "cache"
        self.cache.mkdir(parents=True)
        (self.root / "home" / "precious.txt").write_text("keep me\n")
        (self.root / "outside").mkdir()
        (self.root / "outside" / "notes.csv").write_text("a,b\n1,2\n")
        self.before = self.outside_cache()

    def outside_cache(self) -> dict[str, tuple[int, int, int]]:
        """The listing of everything but the cache's content (the cache folder itself is listed by type only)."""
        rel = self.cache.relative_to(self.root).as_posix()
        out = {}
        for k, v in listing(self.root).items():
            if k == rel:
                out[k] = (v[0], 0, 0)
            elif not k.startswith(rel + "/"):
                out[k] = v
        return out

    def assert_nothing_outside(self) -> None:
        """Nothing outside the cache was created, removed or modified (the cache's parent folders included)."""
        assert self.outside_cache() == self.before

    def cache_files(self) -> list[str]:
        return sorted(p.relative_to(self.cache).as_posix() for p in self.cache.rglob("*") if p.is_file())

    def complete_files(self) -> list[str]:
        """Files a later run could take as complete: visible files, and files recorded in the index."""
        visible = [f for f in self.cache_files() if not any(part.startswith(".") for part in f.split("/"))]
        return [f for f in visible if f != INDEX_NAME]

    def index(self) -> dict:
        p = self.cache / INDEX_NAME
        return json.loads(p.read_text())["files"] if p.exists() else {}


@pytest.fixture
def root(tmp_path):
    return Root(tmp_path)


def assert_no_complete_file(root: Root, source_id: str) -> None:
    """After a failure: nothing visible in the cache, nothing in its index, and locate() finds nothing."""
    assert root.complete_files() == []
    assert root.index() == {}
    empty = root.root / "outside"
    with pytest.raises(SourceNotFound):
        locate(source_id, data_dir=empty, cache_dir=root.cache)


def csv_bytes(rows: int = 2000) -> bytes:
    lines = ["lat,lon,kind"] + [f"{31 + i / 1e4:.4f},{-111 - i / 1e4:.4f},IFT" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def zip_bytes(size: int = 120_000, seed: int = 0) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("tl_2021_04_prisecroads.shp", random.Random(seed).randbytes(size))
        zf.writestr("tl_2021_04_prisecroads.dbf", b"dbf bytes" * 100)
    return buf.getvalue()


# --------------------------------------------------------------------------- paths: names taken from URLs


def test_encoded_traversal_lands_inside_the_cache(server, root):
    """The issue's `…/x/%2e%2e%2f%2e%2e%2fESCAPED.txt`: decoded first, then the base name is taken."""
    server.files["%2e%2e%2f%2e%2e%2fESCAPED.txt"] = csv_bytes()
    got = fetch(
        "eff-towers", cache_dir=root.cache, url=f"{server.base}/plain/x/%2e%2e%2f%2e%2e%2fESCAPED.txt", backoff=0
    )
    assert got.files[0].path == root.cache / "eff-towers" / "ESCAPED.txt"
    assert got.files[0].path.resolve().is_relative_to(root.cache.resolve())
    root.assert_nothing_outside()
    assert [p.relative_to(root.cache).as_posix() for p in root.root.rglob("ESCAPED.txt")] == ["eff-towers/ESCAPED.txt"]
    assert root.cache_files() == ["eff-towers/ESCAPED.txt", INDEX_NAME]


@pytest.mark.parametrize(
    "path",
    [
        "x/..%2F..%2F..%2FESCAPED.txt",
        "x/%252e%252e%252fESCAPED.txt",  # double-encoded: '%' is not a name character
        "x/..%5C..%5CESCAPED.txt",  # backslashes are separators too
        "x/%2e%2e/%2e%2e/ESCAPED.txt",
        "x/evil%00%2F..%2F..%2FESCAPED.txt",  # the NUL is in a segment that is dropped
    ],
)
def test_other_traversals_never_leave_the_cache(server, root, path):
    url = f"{server.base}/plain/{path}"
    try:
        name = safe_file_name(url)
    except InputError as exc:
        assert "plain file name" in exc.remedy
        with pytest.raises(InputError):
            fetch("eff-towers", cache_dir=root.cache, url=url, backoff=0)
        assert server.requests == []
    else:
        assert name == "ESCAPED.txt"
        server.files[path.rsplit("/", 1)[-1]] = csv_bytes()
        fetch("eff-towers", cache_dir=root.cache, url=url, backoff=0)
        assert (root.cache / "eff-towers" / "ESCAPED.txt").is_file()
    root.assert_nothing_outside()


def test_encoded_absolute_path_lands_inside_the_cache(server, root):
    """The issue's `…/x/%2Ftmp%2F…`: aimed here at a file beside the cache."""
    target = root.root / "home" / "ABSOLUTE.txt"
    encoded = str(target).replace("/", "%2F")
    server.files[encoded] = csv_bytes()
    got = fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/plain/x/{encoded}", backoff=0)
    assert not target.exists()
    assert got.files[0].path == root.cache / "eff-towers" / "ABSOLUTE.txt"
    root.assert_nothing_outside()


def test_raw_dotdot_segments(server, root):
    # `..` inside the path: the base name is what is stored
    server.files["RAW.txt"] = csv_bytes()
    got = fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/plain/x/../../RAW.txt", backoff=0)
    assert got.files[0].path == root.cache / "eff-towers" / "RAW.txt"
    # `..` (raw or encoded) as the name itself: refused before any request
    for tail in ("x/..", "x/%2e%2e", "x/."):
        with pytest.raises(InputError) as err:
            fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/plain/{tail}", backoff=0)
        assert "not a file name" in str(err.value) and "plain file name" in err.value.remedy
    assert server.count("/plain/x/..") == 0
    root.assert_nothing_outside()


@pytest.mark.parametrize(
    "tail, what",
    [
        ("evil%00.csv", "control character"),
        ("..%2F..%2Fevil%00.csv", "control character"),
        ("line%0Abreak.csv", "control character"),
        ("tab%09name.csv", "control character"),
        ("bell%07.csv", "control character"),
        ("rtl%E2%80%AEvsc.csv", "control character"),  # U+202E RIGHT-TO-LEFT OVERRIDE
        ("caf%C3%A9.csv", "character"),
        ("star*.csv", "character"),
        ("semi%3Bcolon.csv", "character"),
    ],
)
def test_names_with_nul_control_or_unsafe_characters_are_refused(server, root, tail, what):
    with pytest.raises(InputError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/plain/x/{tail}", backoff=0)
    assert what in str(err.value) and "U+" in str(err.value)
    assert "plain file name" in err.value.remedy and "--data-dir" in err.value.remedy
    assert server.requests == []
    assert root.cache_files() == []
    root.assert_nothing_outside()


@pytest.mark.parametrize(
    "tail, what",
    [
        ("x/", "names no file"),
        ("", "names no file"),
        ("x/.bashrc", "hidden"),
        ("x/%2Ebashrc", "hidden"),
        ("x/-rf.csv", "not a plain file name"),
        ("x/trailing.", "not a plain file name"),
        ("x/" + "a" * 250 + ".csv", "not a plain file name"),
    ],
)
def test_empty_hidden_and_odd_names_are_refused(server, root, tail, what):
    with pytest.raises(InputError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/{tail}", backoff=0)
    assert what in str(err.value) and err.value.remedy
    assert server.requests == []
    root.assert_nothing_outside()


def test_symlink_in_the_cache_pointing_outside_is_refused(server, root):
    (root.cache / "eff-towers").symlink_to(root.root / "outside", target_is_directory=True)
    root.before = root.outside_cache()
    server.files["towers.csv"] = csv_bytes()
    with pytest.raises(InputError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/plain/towers.csv", backoff=0)
    assert "outside the cache" in str(err.value) and "symbolic link" in err.value.remedy
    assert server.requests == []
    assert not (root.root / "outside" / "towers.csv").exists()
    root.assert_nothing_outside()


def test_index_entries_pointing_outside_the_cache_are_ignored(root):
    secret = root.root / "outside" / "notes.csv"
    entry = {"url": "http://x/notes.csv", "sha256": "0" * 64, "source": "eff-towers", "checked": "csv"}
    index = {"files": {"../../outside/notes.csv": entry, str(secret): entry}}
    (root.cache / INDEX_NAME).write_text(json.dumps(index))
    with pytest.raises(SourceNotFound):
        locate("eff-towers", data_dir=root.root / "outside" / ".", cache_dir=root.cache)


# --------------------------------------------------------------------------- URLs: schemes and syntax


@pytest.mark.parametrize(
    "url, scheme",
    [
        ("file:///etc/hostname", "'file:'"),
        ("FILE:///etc/passwd", "'file:'"),
        ("ftp://127.0.0.1/towers.csv", "'ftp:'"),
        ("javascript:alert(1)", "'javascript:'"),
        ("data:text/csv,a%2Cb%0A1%2C2", "'data:'"),
        ("gopher://127.0.0.1:70/x.csv", "'gopher:'"),
        ("//127.0.0.1/towers.csv", "no scheme"),
        ("towers.csv", "no scheme"),
    ],
)
def test_only_http_and_https_are_fetched(root, url, scheme):
    with pytest.raises(InputError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=url, backoff=0)
    assert scheme in str(err.value) and "only http and https" in str(err.value)
    assert "http://" in err.value.remedy and "--data-dir" in err.value.remedy
    assert root.cache_files() == []
    root.assert_nothing_outside()


@pytest.mark.parametrize(
    "url, what",
    [
        ("http://[::1", "malformed"),
        ("http://[::1/x.csv", "malformed"),
        ("http://127.0.0.1:99999/x.csv", "malformed"),
        ("http://127.0.0.1:port/x.csv", "malformed"),
        ("http:///x.csv", "no host"),
        ("http://127.0.0.1/a b.csv", "U+0020"),
        ("http://127.0.0.1/x.csv\r\nX-Injected: 1", "U+000D"),
        ("http://127.0.0.1/\x00.csv", "U+0000"),
        ("", "empty"),
    ],
)
def test_malformed_urls_are_typed_errors(root, url, what):
    with pytest.raises(InputError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=url, backoff=0)
    assert what in str(err.value) and "http" in err.value.remedy
    with pytest.raises(InputError):
        download(url, root.cache / "x.csv")
    assert root.cache_files() == []
    root.assert_nothing_outside()


@pytest.mark.parametrize("route, target", [("redirect-file", "file:///etc/hostname"), ("redirect-ftp", "ftp://")])
def test_redirects_to_other_schemes_are_not_followed(server, root, route, target):
    with pytest.raises(DownloadError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/{route}/towers.csv", backoff=0)
    assert target in str(err.value) and "not followed" in str(err.value)
    assert "only http and https" in err.value.remedy
    with pytest.raises(UnsafeRedirect):
        download(f"{server.base}/{route}/towers.csv", root.cache / "t.csv", retries=0)
    assert_no_complete_file(root, "eff-towers")
    root.assert_nothing_outside()


def test_redirect_to_http_is_followed(server, root):
    server.files["towers.csv"] = data = csv_bytes()
    got = fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/redirect-ok/towers.csv", backoff=0)
    assert got.files[0].sha256 == sha(data) and got.files[0].checked == "csv"


def test_tile_url_templates_are_checked(root):
    bbox = (-111.5, 31.2, -111.1, 31.8)
    for template, what in [
        ("file:///tiles/{name}.tif", "'file:'"),
        ("http://127.0.0.1/tiles/{name}{0}.tif", "cannot be filled"),
        ("http://127.0.0.1/tiles/{name}/{nme}.tif", "cannot be filled"),
        ("http://127.0.0.1/tiles/{nme}.tif", "no {name}"),
        ("http://127.0.0.1/tiles/all.tif", "no {name}"),
        ("http://127.0.0.1/tiles/{name}/..", "not a file name"),
    ]:
        with pytest.raises(InputError) as err:
            fetch("dem-copernicus", cache_dir=root.cache, bbox=bbox, tile_url=template, backoff=0)
        assert what in str(err.value) and err.value.remedy
    root.assert_nothing_outside()


# --------------------------------------------------------------------------- downloads that cannot be trusted


def test_html_error_page_served_with_200_as_csv(server, root):
    with pytest.raises(DownloadCheckError) as err:
        fetch("iom-mmp", cache_dir=root.cache, url=f"{server.base}/html/data.csv", backoff=0)
    msg = str(err.value)
    assert "HTML page" in msg and "<!DOCTYPE html" in msg and "discarded" in msg and "iom-mmp" in msg
    assert "browser" in err.value.remedy and "--data-dir" in err.value.remedy
    assert isinstance(err.value, DownloadError)
    assert_no_complete_file(root, "iom-mmp")
    assert root.cache_files() == []  # not even a partial file
    root.assert_nothing_outside()


@pytest.mark.parametrize(
    "page",
    [
        b"\xef\xbb\xbf  <!doctype HTML><title>x</title>",
        b"<html lang='en'><body>Access denied</body></html>",
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN">\n<html/>',
        b"<!-- served by nginx -->\n<html><body>502 Bad Gateway</body></html>",
    ],
)
def test_html_pages_are_recognised_in_any_dress(tmp_path, page):
    for name, kind in (("a.csv", "csv"), ("a.json", "json"), ("a.zip", "zip"), ("a.bin", None), ("a.tif", "geotiff")):
        (tmp_path / name).write_bytes(page)
        with pytest.raises(DownloadCheckError, match="HTML page"):
            check_download(tmp_path / name, kind)


def test_zip_cut_off_without_content_length(server, root):
    server.files["tl_2021_04_prisecroads.zip"] = zip_bytes()
    url = f"{server.base}/nolength/tl_2021_04_prisecroads.zip"
    with pytest.raises(DownloadCheckError) as err:
        fetch("tiger-roads-az", cache_dir=root.cache, url=url, backoff=0)
    assert "not a complete zip archive" in str(err.value) and "discarded" in str(err.value)
    assert "run the command again" in err.value.remedy
    assert_no_complete_file(root, "tiger-roads-az")
    assert root.cache_files() == []
    root.assert_nothing_outside()


def test_geotiff_tile_cut_off_without_content_length(server, root):
    bbox = (-111.5, 31.2, -111.1, 31.8)
    [name] = dem_tile_names("dem-copernicus", bbox)
    server.files[f"{name}.tif"] = geotiff(3, size=128)
    with pytest.raises(DownloadCheckError) as err:
        fetch(
            "dem-copernicus",
            cache_dir=root.cache,
            bbox=bbox,
            tile_url=f"{server.base}/nolength/{{name}}.tif",
            backoff=0,
        )
    assert "GeoTIFF" in str(err.value) and "discarded" in str(err.value)
    assert_no_complete_file(root, "dem-copernicus")
    root.assert_nothing_outside()


def test_csv_cut_mid_row_without_content_length(server, root):
    data = csv_bytes()
    cut = data.rfind(b"\n", 0, len(data) // 4) + 1 + len(b"31.0")  # inside the first field of a row
    server.files["towers.csv"] = data[: cut * 2]  # the server sends the first half: `cut` bytes
    assert server.files["towers.csv"][:cut].endswith(b"31.0")
    with pytest.raises(DownloadCheckError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/nolength/towers.csv", backoff=0)
    assert "not a consistent CSV table" in str(err.value) and "header has 3" in str(err.value)
    assert_no_complete_file(root, "eff-towers")
    root.assert_nothing_outside()


def test_body_shorter_than_its_content_length(server, root):
    server.files["towers.csv"] = csv_bytes()
    with pytest.raises(DownloadError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/short/towers.csv", backoff=0, retries=1)
    n = len(server.files["towers.csv"])
    assert f"of {n} bytes" in str(err.value) and "2 attempt(s) failed" in str(err.value)
    assert "run the command again" in err.value.remedy
    assert_no_complete_file(root, "eff-towers")  # only a hidden partial file, kept to resume
    assert all(Path(f).name.startswith(".") for f in root.cache_files())
    root.assert_nothing_outside()


def test_a_part_sent_unasked_is_not_taken_for_the_file(server, root):
    server.files["towers.csv"] = csv_bytes()
    with pytest.raises(DownloadError) as err:
        fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/unasked206/towers.csv", backoff=0, retries=1)
    assert "without being asked" in str(err.value) and err.value.remedy
    assert_no_complete_file(root, "eff-towers")
    root.assert_nothing_outside()


def test_corrupt_resumed_chunk_is_discarded(server, root):
    server.files["tl_2021_04_prisecroads.zip"] = data = zip_bytes(seed=4)
    url = f"{server.base}/corruptresume/tl_2021_04_prisecroads.zip"
    with pytest.raises(DownloadCheckError) as err:
        fetch("tiger-roads-az", cache_dir=root.cache, url=url, backoff=0, retries=1)
    msg = str(err.value)
    assert f"resumed at byte {len(data) // 2:,}" in msg and "discarded, not kept as complete" in msg
    assert "from the start" in err.value.remedy
    assert [r for _, r in server.requests] == [None, f"bytes={len(data) // 2}-"]
    assert_no_complete_file(root, "tiger-roads-az")
    assert root.cache_files() == []  # the partial file is gone too: the next run starts afresh
    # the next run downloads the whole file again (the server now behaves)
    got = fetch("tiger-roads-az", cache_dir=root.cache, url=url, backoff=0)
    assert server.requests[-1][1] is None and got.files[0].sha256 == sha(data)
    assert sorted(p.name for p in got.extracted) == ["tl_2021_04_prisecroads.dbf", "tl_2021_04_prisecroads.shp"]
    root.assert_nothing_outside()


@pytest.mark.parametrize(
    "body",
    [b'{"records": [{"id": 1}, {"id": 2', b"", b"[1, 2,]", b"\xff\xfe\x00garbage", b"[" * 100_000 + b"]" * 100_000],
)
def test_json_that_does_not_parse(server, root, body):
    server.files["2019.json"] = body
    with pytest.raises(DownloadCheckError) as err:
        fetch("iom-mmp", cache_dir=root.cache, url=f"{server.base}/plain/2019.json", backoff=0)
    assert ("JSON" in str(err.value) or "empty" in str(err.value)) and "discarded" in str(err.value)
    assert_no_complete_file(root, "iom-mmp")
    root.assert_nothing_outside()


def test_zip_with_a_traversing_member_is_not_kept(server, root):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("tl_2021_04_prisecroads.shp", b"shp")
        zf.writestr("../../../ESCAPED.txt", b"bad")
    server.files["tl_2021_04_prisecroads.zip"] = buf.getvalue()
    with pytest.raises(DownloadCheckError, match="unsafe member"):
        fetch("tiger-roads-az", cache_dir=root.cache, url=f"{server.base}/plain/tl_2021_04_prisecroads.zip", backoff=0)
    assert_no_complete_file(root, "tiger-roads-az")
    root.assert_nothing_outside()


def test_zip_bomb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module, "_ZIP_MAX_BYTES", 1 << 20)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", bytes(8 << 20))
    with pytest.raises(DownloadCheckError, match="zip bomb"):
        check_download(archive, "zip")
    with pytest.raises(InputError, match="zip bomb"):
        extract_zip(archive)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.zip"]


def test_a_legacy_unchecked_cache_entry_is_not_reused(server, root):
    """A file recorded before downloads were checked (no "checked" in the index) is downloaded again."""
    folder = root.cache / "iom-mmp"
    folder.mkdir()
    (folder / "data.csv").write_bytes(HTML_PAGE)
    url = f"{server.base}/plain/data.csv"
    entry = {"url": url, "sha256": sha(HTML_PAGE), "size": len(HTML_PAGE), "source": "iom-mmp", "fetched": "x"}
    (root.cache / INDEX_NAME).write_text(json.dumps({"files": {"iom-mmp/data.csv": entry}}))
    with pytest.raises(SourceNotFound):
        locate("iom-mmp", data_dir=root.root / "outside", cache_dir=root.cache)
    server.files["data.csv"] = data = csv_bytes()
    got = fetch("iom-mmp", cache_dir=root.cache, url=url, backoff=0)
    assert not got.files[0].reused and server.count("/plain/data.csv") == 1
    assert (folder / "data.csv").read_bytes() == data and root.index()["iom-mmp/data.csv"]["checked"] == "csv"
    again = fetch("iom-mmp", cache_dir=root.cache, url=url, backoff=0)
    assert again.files[0].reused and server.count("/plain/data.csv") == 1


def test_pinned_download_must_match_size_and_sha256(server, root, monkeypatch):
    good = csv_bytes(100)
    url = f"{server.base}/plain/Capstone_Mortality_Dataset.csv"
    entry = dataclasses.replace(CATALOG["pcome-terrain"], downloads=(url,), pins=(Pin(url, len(good), sha(good)),))
    monkeypatch.setitem(CATALOG, "pcome-terrain", entry)
    for body, what in [
        (csv_bytes(99), "bytes, expected"),
        (csv_bytes(101), "more than the expected"),
        (
            good.replace(b"IFT", b"AST"),
            "sha256",
        ),
    ]:
        server.files["Capstone_Mortality_Dataset.csv"] = body
        with pytest.raises(ChecksumError) as err:
            fetch("pcome-terrain", cache_dir=root.cache, backoff=0)
        assert what in str(err.value) and "deleted" in str(err.value) and err.value.remedy
        assert_no_complete_file(root, "pcome-terrain")
    server.files["Capstone_Mortality_Dataset.csv"] = good
    got = fetch("pcome-terrain", cache_dir=root.cache, backoff=0)
    assert got.files[0].checked == "sha256" and got.files[0].sha256 == sha(good)
    root.assert_nothing_outside()


def test_unpinned_download_with_given_sha256_skips_the_format_check(server, root):
    server.files["towers.bin"] = body = b"\x00\x01 not a format anyone knows"
    got = fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/plain/towers.bin", sha256=sha(body), backoff=0)
    assert got.files[0].checked == "sha256"
    with pytest.raises(InputError, match="64 hexadecimal"):
        fetch("eff-towers", cache_dir=root.cache, url=f"{server.base}/plain/towers.bin", sha256="abc", backoff=0)


# --------------------------------------------------------------------------- tile caps


def test_world_bbox_is_refused_before_any_request(server, root):
    world = (-180.0, -90.0, 180.0, 90.0)
    assert dem_tile_count("dem-copernicus", world) == 64_800 and MAX_TILES == 100
    with pytest.raises(InputError) as err:
        fetch("dem-copernicus", cache_dir=root.cache, bbox=world, tile_url=f"{server.base}/range/{{name}}.tif")
    assert "needs 64,800 dem-copernicus tiles" in str(err.value) and "limit of 100" in str(err.value)
    assert "--max-tiles 64800" in err.value.remedy and "smaller" in err.value.remedy
    assert server.requests == []
    assert root.cache_files() == []
    root.assert_nothing_outside()


def test_a_raised_cap_allows_the_box(server, root):
    bbox = (-112.0, 31.0, -110.0, 33.0)  # 4 tiles
    names = dem_tile_names("dem-copernicus", bbox)
    for i, name in enumerate(names):
        server.files[f"{name}.tif"] = geotiff(200 + i)
    template = f"{server.base}/range/{{name}}.tif"
    with pytest.raises(InputError) as err:
        fetch("dem-copernicus", cache_dir=root.cache, bbox=bbox, tile_url=template, max_tiles=3)
    assert "needs 4 " in str(err.value) and "--max-tiles 4" in err.value.remedy
    assert server.requests == []
    got = fetch("dem-copernicus", cache_dir=root.cache, bbox=bbox, tile_url=template, max_tiles=4, backoff=0)
    assert len(got.files) == 4 and all(r.checked == "geotiff" for r in got.files)
    assert len(server.requests) == 4
    with pytest.raises(InputError, match="max_tiles"):
        fetch("dem-copernicus", cache_dir=root.cache, bbox=bbox, tile_url=template, max_tiles=0)
    root.assert_nothing_outside()


# --------------------------------------------------------------------------- the command line


@pytest.fixture
def cli_settings(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "backoff", 0.0)
    monkeypatch.setattr(settings, "retries", 0)
    monkeypatch.setattr(settings, "timeout", 5.0)
    monkeypatch.setattr(settings, "progress", None)
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "default-cache")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "url, text",
    [
        ("file:///etc/hostname", "only http and https"),
        ("ftp://127.0.0.1/x.csv", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("http://[::1", "malformed"),
        ("http://127.0.0.1/x/%2e%2e", "not a file name"),
        ("http://127.0.0.1/x/a%00.csv", "control character"),
    ],
)
def test_cli_hostile_urls_are_typed_errors(cli_settings, root, capsys, url, text):
    code, out, err = run(capsys, "fetch", "eff-towers", "--url", url, "--cache-dir", str(root.cache))
    assert code == 2 and err.startswith("error:") and text in err and "What to do:" in err
    assert "internal error" not in err and "Traceback" not in err and out == ""
    root.assert_nothing_outside()
    assert root.cache_files() == []


def test_cli_html_page_and_world_bbox(cli_settings, server, root, capsys):
    code, _, err = run(
        capsys, "fetch", "iom-mmp", "--url", f"{server.base}/html/data.csv", "--cache-dir", str(root.cache)
    )
    assert code == 2 and "HTML page" in err and "What to do:" in err
    code, _, err = run(capsys, "fetch", "dem-copernicus", "--bbox", "-180,-90,180,90", "--cache-dir", str(root.cache))
    assert code == 2 and "64,800" in err and "--max-tiles 64800" in err
    assert server.requests == [("/html/data.csv", None)]
    name = dem_tile_names("dem-copernicus", (-111.5, 31.2, -111.1, 31.8))[0]
    server.files[f"{name}.tif"] = geotiff(5)
    args = ["--tile-url", f"{server.base}/plain/{{name}}.tif", "--cache-dir", str(root.cache)]
    code, out, _ = run(
        capsys, "fetch", "dem-copernicus", "--bbox", "-111.5,31.2,-111.1,31.8", "--max-tiles", "1", *args
    )
    assert code == 0 and f"{name}.tif" in out
    code, _, err = run(capsys, "fetch", "dem-copernicus", "--bbox", "-112,31,-110,33", "--max-tiles", "3", *args)
    assert code == 2 and "needs 4" in err
    root.assert_nothing_outside()


# --------------------------------------------------------------------------- the checks themselves


def _gpkg(path: Path) -> bytes:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE gpkg_contents (table_name TEXT)")
    con.execute("CREATE TABLE t (x)")
    con.executemany("INSERT INTO t VALUES (?)", [(random.Random(i).randbytes(200),) for i in range(200)])
    con.commit()
    con.close()
    return path.read_bytes()


def _parquet(path: Path) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": list(range(5000))}), path)
    return path.read_bytes()


def _shp(path: Path) -> bytes:
    body = random.Random(1).randbytes(400)
    header = b"\x00\x00\x27\x0a" + bytes(20) + ((100 + len(body)) // 2).to_bytes(4, "big") + bytes(72)
    return header + body


@pytest.mark.parametrize("kind", ["csv", "json", "kml", "zip", "geotiff", "gzip", "gpkg", "parquet", "shp"])
def test_every_kind_passes_whole_and_fails_cut_in_half(tmp_path, kind):
    make = {
        "csv": lambda p: csv_bytes(),
        "json": lambda p: json.dumps(
            {"type": "FeatureCollection", "features": [{"id": i} for i in range(500)]}
        ).encode(),
        "kml": lambda p: (
            b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            + b"<Placemark><name>x</name></Placemark>" * 200
            + b"</Document></kml>"
        ),
        "zip": lambda p: zip_bytes(),
        "geotiff": lambda p: geotiff(7, size=128),
        "gzip": lambda p: gzip.compress(random.Random(2).randbytes(50_000)),
        "gpkg": _gpkg,
        "parquet": _parquet,
        "shp": _shp,
    }[kind]
    data = make(tmp_path / f"whole.{kind}")
    whole = tmp_path / f"ok.{kind}"
    whole.write_bytes(data)
    assert check_download(whole, kind) == kind
    n = len(data) // 2 + 3
    if kind == "csv":
        n = data.index(b",", n) + 1  # mid-row, after a field separator
    cut = tmp_path / f"cut.{kind}"
    cut.write_bytes(data[:n])
    with pytest.raises(DownloadCheckError) as err:
        check_download(cut, kind)
    assert str(cut) in str(err.value) and err.value.remedy


def test_kinds_are_recognised_by_magic_bytes_when_the_name_says_nothing(tmp_path):
    p = tmp_path / "tile.bin"
    p.write_bytes(geotiff(8)[:300])
    with pytest.raises(DownloadCheckError, match="GeoTIFF"):
        check_download(p)
    p.write_bytes(zip_bytes()[:5000])
    with pytest.raises(DownloadCheckError, match="zip"):
        check_download(p)
    p.write_bytes(random.Random(0).randbytes(1000))
    assert check_download(p) == "data"


def test_a_file_of_another_kind_is_refused(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(zip_bytes())
    for kind in ("csv", "geotiff", "json", "gzip", "gpkg", "parquet", "shp", "kml", "netcdf"):
        with pytest.raises(DownloadCheckError):
            check_download(p, kind)


def test_every_file_of_the_shared_data_passes_its_check(data_dir):
    """No false alarm on real data: every source file in the mirror passes the check of its suffix."""
    from borderscape.layers.fetch import expected_kind

    checked = {}
    for p in sorted(data_dir.rglob("*")):
        kind = expected_kind(p.name)
        if p.is_file() and kind is not None:
            checked[p.name] = check_download(p, kind)
    assert len(checked) >= 30
    assert {"csv", "json", "kml", "zip", "geotiff", "gpkg", "shp", "netcdf"} <= set(checked.values())


def test_check_url_accepts_ordinary_urls():
    for url in (
        "https://www2.census.gov/geo/tiger/TIGER2021/PRISECROADS/tl_2021_04_prisecroads.zip",
        "http://127.0.0.1:8080/x.csv?a=1&b=%20",
        "HTTPS://EXAMPLE.ORG/A.CSV",
        "http://[::1]:8000/x.csv",
    ):
        assert check_url(url) == url
    for sid, s in CATALOG.items():
        for u in s.downloads:
            assert check_url(u) and safe_file_name(u), sid
