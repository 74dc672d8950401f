"""No name from the PCOME files reaches any output: layer files, reports, CLI output, logs.

The names are read from the CSVs' ``Name`` column into memory only.  A name is searched
in each output in three forms — the raw field ("Last, First Middle"), "Last First
Middle" and "First Last" — compared as word sequences (case- and punctuation-insensitive,
so stricter than an exact match).  Failure messages give counts, never a name.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from borderscape.cli import main
from borderscape.layers.ingest import ingest, write_layer

FILES = ("ogis_deaths_1981_2024-09.csv", "ogis_deaths_bansak2025_1981_2020-06.csv")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def name_forms(data_dir: Path) -> set[tuple[str, ...]]:
    """Every name of both PCOME files in its three forms, as word tuples ("Unidentified" skipped)."""
    import pandas as pd

    forms: set[tuple[str, ...]] = set()
    for name in FILES:
        raw = pd.read_csv(
            data_dir / "ogis-pima-ome-humane-borders" / name, dtype=str, keep_default_na=False, usecols=["Name"]
        )
        for value in raw["Name"]:
            if not value.strip() or value.strip().lower() == "unidentified":
                continue
            forms.add(tuple(words(value)))  # raw field / "Last, First Middle"
            last, _, first = value.partition(",")
            if first.strip():
                forms.add(tuple(words(first) + words(last)))  # "First Middle Last"
                forms.add(tuple(words(first)[:1] + words(last)))  # "First Last"
    forms.discard(())
    return forms


def count_names(text: str, forms: set[tuple[str, ...]]) -> int:
    """How many of ``forms`` occur as consecutive words of ``text``."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for form in forms:
        by_first.setdefault(form[0], []).append(form)
    tokens = words(text)
    found: set[tuple[str, ...]] = set()
    for i, token in enumerate(tokens):
        for form in by_first.get(token, ()):
            if tuple(tokens[i : i + len(form)]) == form:
                found.add(form)
    return len(found)


def parquet_text(path: Path) -> str:
    """Every value, column name and metadata of a Parquet file as text (pages are compressed)."""
    table = pq.read_table(path)
    parts = [str(table.schema.metadata), " ".join(table.column_names)]
    for column in table.columns:
        parts.append(" ".join("" if v is None else str(v) for v in column.to_pylist()))
    return "\n".join(parts)


def output_texts(folder: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(folder.iterdir()):
        texts[path.name] = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".parquet":
            texts[path.name + " (values)"] = parquet_text(path)
    return texts


@pytest.fixture(scope="module")
def forms(data_dir):
    f = name_forms(data_dir)
    assert len(f) > 4000  # both files hold thousands of identified people
    return f


def test_no_name_in_any_output(data_dir, forms, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"
    out.mkdir()
    streams = []
    for i, name in enumerate(FILES):
        src = data_dir / "ogis-pima-ome-humane-borders" / name
        for suffix in ("parquet", "gpkg", "csv"):
            code = main(
                [
                    "ingest",
                    "pcome",
                    str(src),
                    "--out",
                    str(out / f"l{i}.{suffix}"),
                    "--report",
                    str(out / f"r{i}{suffix}.json"),
                ]
            )
            assert code == 0
            streams.append(capsys.readouterr())
        mapping = "lat=Latitude,lon=Longitude,date=Reporting Date,cause=Cause of Death"
        assert main(["ingest", "deaths", str(src), "--columns", mapping, "--out", str(out / f"g{i}.parquet")]) == 0
        assert (
            main(
                [
                    "ingest",
                    "deaths",
                    str(src),
                    "--columns",
                    mapping,
                    "--keep",
                    "Name",
                    "--out",
                    str(out / f"refused{i}.parquet"),
                ]
            )
            == 2
        )
        streams.append(capsys.readouterr())
        layer = ingest("pcome", src)
        write_layer(layer, out / f"api{i}.parquet")
        layer.report.write(out / f"api{i}.json")
        streams.append(capsys.readouterr())
    texts = output_texts(out)
    texts["stdout"] = "\n".join(s.out for s in streams)
    texts["stderr"] = "\n".join(s.err for s in streams)
    texts["log"] = caplog.text
    assert "4300 rows read" in texts["stdout"] and "3270 rows read" in texts["stdout"]
    found = {where: count_names(text, forms) for where, text in texts.items()}
    leaks = {where: n for where, n in found.items() if n}
    assert not leaks, f"names found (counts per output): {leaks}"


def test_scanner_finds_names_when_they_are_kept(data_dir, forms, tmp_path, capsys):
    """Positive control: with --keep-personal the names are in the layer, and the scanner sees them."""
    src = data_dir / "ogis-pima-ome-humane-borders" / FILES[0]
    code = main(["ingest", "pcome", str(src), "--keep-personal", "--out", str(tmp_path / "mine.parquet")])
    captured = capsys.readouterr()
    assert code == 0 and "warning" in captured.err and "never show" in captured.err
    assert count_names(captured.out + captured.err, forms) == 0  # the terminal still shows none
    hits = count_names(parquet_text(tmp_path / "mine.parquet"), forms)
    assert hits > 2000, f"only {hits} name forms found in a layer that keeps names"
