"""Defensive reading of delimited files."""

import pytest

from borderscape.geo.errors import IngestError
from borderscape.layers.tables import read_table


def test_detects_semicolons_and_latin1(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes("name;lat;lon\nSão Paulo;32,1;-111,2\nCancún;31;-110\n".encode("latin-1"))
    t = read_table(p)
    assert t.delimiter == ";" and t.encoding == "latin-1" and t.notes
    assert t.frame["name"].tolist() == ["São Paulo", "Cancún"]


def test_quoted_commas_do_not_fool_the_delimiter(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text('a,b,c\n"1; 2",3,4\n"5; 6",7,8\n', encoding="utf-8")
    t = read_table(p)
    assert t.delimiter == "," and t.frame.shape == (2, 3)


def test_empty_cells_are_none_and_text_is_verbatim(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n<script>alert(1)</script>,\n", encoding="utf-8")
    t = read_table(p)
    assert t.frame.loc[0, "a"] == "<script>alert(1)</script>" and t.frame.loc[0, "b"] is None


@pytest.mark.parametrize(
    "content, words",
    [(b"", "empty"), (b"a,b,c\n", "no data"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary")],
)
def test_not_tables_raise_typed_errors(tmp_path, content, words):
    p = tmp_path / "x.csv"
    p.write_bytes(content)
    with pytest.raises(IngestError, match=words):
        read_table(p)


def test_a_single_enormous_line_is_refused(tmp_path):
    p = tmp_path / "x.csv"
    with open(p, "wb") as fh:
        block = b"abc," * 262144  # 1 MiB
        for _ in range(12):
            fh.write(block)
    with pytest.raises(IngestError, match="line break|longer than"):
        read_table(p)
