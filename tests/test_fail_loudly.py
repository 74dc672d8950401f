"""Fail loudly (issue 18, item 6): ``run``, ``map`` and ``brief`` refuse a study with no layer its
questions count (a typed :class:`NoDataError`, exit code 2, nothing written), and a run that lacks a
layer its study names says so on the first screen of the terminal, the briefing and the map."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from borderscape import pipeline
from borderscape.analyses.battery import FUNNEL, MARITIME, declare
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.needs import NEEDS, RECORDS, check_primary_layers, needs, no_primary_layer, notices
from borderscape.analyses.study import QUESTIONS, load_study
from borderscape.cli import main
from borderscape.errors import InputError, NoDataError

REFUSED = "no primary layer could be read"


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """An empty data folder and an empty download cache: no layer can be found."""
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BORDERSCAPE_DATA", raising=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    return empty


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def leftovers(folder: Path) -> list[str]:
    """Everything in ``folder`` but the empty data folder and the caches of the fixture."""
    return sorted(p.name for p in folder.iterdir() if p.name not in {"empty", "cache", "xdg", "home"})


# -- the rule ----------------------------------------------------------------------------------------


def primaries(name: str) -> dict[str, str]:
    st = load_study(name)
    return {q: e.result for q, e in st.endpoints.items() if q in QUESTIONS[st.battery]}


def test_needs_takes_the_longest_prefix():
    assert needs("H2.road_distance") == ("deaths", "roads")
    assert needs("H2.slope") == ("deaths",)
    assert needs("M2.detections.coast") == ("incidents", "coastline")
    assert needs("M3.LBY.2018-06-28") == NEEDS["M3"]
    assert needs("X9") == ()


def test_no_primary_layer_funnel_is_deaths():
    p = primaries("arizona-sonora")
    every_other = {"towers", "dem", "roads", "border", "encounters", "environment", "water_stations"}
    assert no_primary_layer(p, every_other) == {q: ("deaths",) for q in p}
    assert no_primary_layer(p, {"deaths"}) is None  # H5 can count remains: the run goes ahead


@pytest.mark.parametrize(
    ("present", "refused"),
    [
        (set(), True),
        ({"coastline", "sar_regions", "operational_areas"}, True),
        ({"crossings"}, False),
        ({"deaths"}, False),
        ({"incidents"}, False),
    ],
)
def test_no_primary_layer_maritime_is_crossings_deaths_or_incidents(present, refused):
    lacking = no_primary_layer(primaries("central-med"), present)
    assert (lacking is not None) is refused
    if refused:
        assert set(lacking) == set(QUESTIONS["maritime"])
        assert {r for rs in lacking.values() for r in rs} <= set(RECORDS)


def test_the_error_is_typed_with_reasons_and_remedy():
    missing = {"deaths": "source 'pcome' (remains) was not found. What to do: export the CSV; or if you have a "
               "folder holding the files, pass --data-dir DIR or set BORDERSCAPE_DATA=DIR"}  # fmt: skip
    with pytest.raises(NoDataError) as info:
        check_primary_layers("az", {"H1": "H1", "H5": "H5"}, {"towers"}, missing)
    exc = info.value
    assert isinstance(exc, InputError)
    assert REFUSED in exc.message and "No deaths layer: source 'pcome' (remains) was not found." in exc.message
    assert "--data-dir DIR" in exc.remedy and "BORDERSCAPE_DATA" in exc.remedy and "export the CSV" in exc.remedy
    assert "if you have a folder" not in exc.remedy  # the data-folder remedy is said once, not once per layer


def test_needs_matches_the_funnel_modules():
    """Reference: the battery itself.  With each role NEEDS names for a primary removed from the
    simulated world, that hypothesis's primary result is skipped."""
    from borderscape.analyses.worlds import inputs_from_world, simulate_world, world_study

    world = simulate_world(seed=0)
    study, full = world_study(world, seed=0), inputs_from_world(world)
    checked = 0
    for question, func in FUNNEL:
        if question == "H2":  # H2 computes every covariate before it finds the road distance missing (slow)
            continue
        result = study.endpoints[question].result
        for req in needs(result):
            roles = (req,) if isinstance(req, str) else req
            inputs = StudyInputs(
                {k: v for k, v in full.layers.items() if k not in roles}, {r: "removed" for r in roles}
            )
            section = func(study, inputs, np.random.default_rng(0))
            primary = [o for o in declare(section.outcomes, study, question) if o.role == "primary"]
            assert [o.status for o in primary] == ["skipped"], (question, roles)
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize(("question", "func"), MARITIME)
def test_needs_matches_the_maritime_modules(question, func):
    """With no layer at all, each sea question's primary result is skipped for a record role NEEDS names."""
    study = load_study("central-med")
    result = study.endpoints[question].result
    records = [r for r in needs(result) if isinstance(r, str) and r in RECORDS]
    section = func(study, StudyInputs({}, {}), np.random.default_rng(0))
    primary = [o for o in declare(section.outcomes, study, question) if o.role == "primary"][0]
    assert primary.status == "skipped"
    assert any(f"No {r} layer" in primary.reason for r in records), primary.reason


# -- first-screen notices ----------------------------------------------------------------------------


def _results(statuses: dict[str, str], roles: list[str], simulated: bool = False) -> dict:
    def why(i: str, s: str) -> str:
        return "" if s == "ran" else ("The series has 5 months. What to do: wait." if i == "H4.trend" else "Too few.")

    return {
        "simulated": simulated,
        "tests": [{"id": i, "role": "primary", "status": s, "reason": why(i, s)} for i, s in statuses.items()],
        "sources": [{"role": r} for r in roles],
    }


def _study(title: str, layers: list[str]) -> dict:
    return {"study": {"title": title, "description": "", "battery": "funnel"}, "layers": {r: r for r in layers}}


def test_a_declared_layer_that_was_missing_is_said():
    results = _results({"H1": "skipped", "H3.fit": "skipped", "H5": "ran"}, ["deaths", "dem", "border"])
    study = _study("Surveillance towers and deaths", ["deaths", "towers", "dem", "border"])
    said = notices(results, study, {"towers": "source 'eff-towers' was not found. What to do: pass --towers FILE"})
    assert [n.role for n in said] == ["towers"]
    assert said[0].text == (
        "This study is about surveillance towers, but the run had no towers layer: source 'eff-towers' was not "
        "found — the questions that need it (H1, H3) could not be answered."
    )
    assert "--towers" not in said[0].text and said[0].remedy == "pass --towers FILE"


def test_a_title_that_promises_sensors_not_named_is_said():
    results = _results({"H1": "skipped", "H5": "ran"}, ["deaths", "dem"])
    said = notices(results, _study("Radar and drones on the border", ["deaths", "dem"]), {})
    assert len(said) == 1 and "no towers layer: the title promises surveillance towers" in said[0].text
    quiet = notices(results, _study("Deaths on the border", ["deaths", "dem"]), {})
    assert quiet == []  # a study that neither names nor promises towers is not told it lacks them


def test_no_primary_finding_is_the_first_line():
    results = _results({"H1": "skipped", "H4.trend": "skipped", "H5": "skipped"}, ["deaths", "towers", "dem"])
    said = notices(results, _study("Deaths", ["deaths", "towers", "dem"]), {})
    assert said[0].text == "No primary finding could be computed: H1 and H5: Too few; H4: The series has 5 months."
    assert said[0].role == ""
    assert notices(_results({"H5": "ran"}, ["deaths"], simulated=True), _study("x", ["deaths"]), {}) == []


# -- the commands --------------------------------------------------------------------------------------


def test_run_map_and_brief_refuse_a_study_without_data(nowhere, tmp_path, capsys):
    out = tmp_path / "out"
    for args in (
        ["run", "arizona-sonora", "--data-dir", str(nowhere), "--out", str(out)],
        ["map", "arizona-sonora", "--data-dir", str(nowhere), "--out", str(tmp_path / "map.html")],
        ["brief", "arizona-sonora", "--data-dir", str(nowhere), "--out", str(tmp_path / "brief")],
    ):
        code, stdout, err = cli(args, capsys)
        assert code == 2, (args[0], stdout, err)
        assert err.startswith(f"error: {REFUSED} for study 'arizona-sonora'")
        assert "No deaths layer: source 'pcome'" in err and "--data-dir DIR" in err and "BORDERSCAPE_DATA" in err
        assert leftovers(tmp_path) == [], args[0]  # no run folder, no partial folder, no map, no briefing


def test_a_sea_study_without_data_is_refused(nowhere, tmp_path, capsys):
    code, _, err = cli(["run", "central-med", "--data-dir", str(nowhere), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and REFUSED in err
    assert all(f"No {r} layer" in err for r in ("crossings", "deaths", "incidents"))
    assert leftovers(tmp_path) == []


def test_an_old_run_folder_without_data_is_refused(nowhere, tmp_path, capsys, monkeypatch):
    """A run folder written before ``run`` refused such runs: ``map``/``brief --from`` say so."""
    with monkeypatch.context() as mp:
        mp.setattr(pipeline, "check_primary_layers", lambda *a, **k: None)
        old = tmp_path / "old"
        code, _, err = cli(["run", "arizona-sonora", "--data-dir", str(nowhere), "--out", str(old)], capsys)
    assert code == 0, err
    before = leftovers(tmp_path)
    for args in (
        ["map", "--from", str(old), "--out", str(tmp_path / "map.html")],
        ["brief", "--from", str(old), "--out", str(tmp_path / "brief")],
    ):
        code, _, err = cli(args, capsys)
        assert code == 2 and f"error: the run in {old} had no primary layer" in err, err
        assert "No deaths layer" in err and "borderscape run arizona-sonora --data-dir DIR" in err
        assert leftovers(tmp_path) == before


@pytest.mark.slow
def test_a_run_without_towers_says_so_first(data_dir, tmp_path, capsys, monkeypatch):
    """Arizona on the mirror has no towers: the terminal, the map and the briefing say so first."""
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "az"
    code, stdout, err = cli(["run", "arizona-sonora", "--data-dir", str(data_dir), "--out", str(out)], capsys)
    assert code == 0, err
    line = (
        "This study is about surveillance towers, but the run had no towers layer: source 'eff-towers' "
        "(EFF map of surveillance towers at the U.S.–Mexico border) was not found in the data folder or the download "
        "cache — the questions that need it (H1, H3) could not be answered."
    )
    assert stdout.startswith(line + "\n  What to do: pass --towers FILE")
    assert stdout.index(line) < stdout.index("results by role")
    escaped = line.replace("'", "&#x27;")
    page = (out / "map.html").read_text(encoding="utf-8")
    assert page.index(f'<p class="bs-notice" role="note">{escaped}</p>') < page.index('id="bs-map"')
    assert "--towers" not in re.search(r"<header>.*?</header>", page, re.S).group(0)  # no remedy on the map
    code, stdout, err = cli(["brief", "--from", str(out), "--out", str(tmp_path / "brief")], capsys)
    assert code == 0, err
    assert stdout.startswith(line)
    html = (tmp_path / "brief" / "brief.html").read_text(encoding="utf-8")
    assert html.index(escaped) < html.index('id="headlines"') < html.index('id="t-H2.road_distance"')
    assert f"{escaped} What to do: pass --towers FILE" in html  # the remedy among the notes on the data
    code, _, err = cli(["map", "--from", str(out), "--out", str(tmp_path / "again.html")], capsys)
    assert code == 0 and err.startswith(line)
    assert escaped in (tmp_path / "again.html").read_text(encoding="utf-8")
