"""Every user command refuses bad input in one line naming the field and the value, never with
a traceback: a missing file, bad YAML, an unknown field, a value out of range, an aim beyond the
vehicle's reach, a bad audit log, a bad policy."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from lookout.cli import app

SCENARIO = """\
epoch: 2023-01-01T00:00:00Z
seed: 1
duration_s: 600
partners:
  - id: KR
    country: KR
    sensors:
      - {type: radar, id: r1, lat_deg: 36.6, lon_deg: 127.5}
launches:
  - {id: L1, time_s: 10, site: [39.0, 125.7], vehicle: srbm-solid, aim: AIM}
"""
REACHABLE = "{target: [39.6, 129.0]}"
UNREACHABLE = "{target: [42.0, 150.0]}"


def run(*args: str):
    """The command's exit status and its output (stdout and stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def one_line_error(code: int, out: str, *words: str) -> str:
    assert code == 2, out
    assert "Traceback" not in out and "╭" not in out, out
    lines = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, out
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture
def files(tmp_path):
    def write(name: str, text: str):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def test_missing_and_unknown_scenario():
    one_line_error(*run("simulate", "nope.yaml"), "nope.yaml", "does not exist")
    one_line_error(*run("track", "no-such-shipped-name"), "no-such-shipped-name")
    one_line_error(*run("demo", "nope.yml", "--json"), "nope.yml")


def test_bad_yaml_is_one_line_with_its_place(files):
    bad = files("bad.yaml", "epoch: [unclosed\nseed: 1\n")
    line = one_line_error(*run("simulate", bad), "not valid YAML", "line 2")
    assert line.count("\n") == 0


def test_unknown_field_and_out_of_range_value(files):
    sc = SCENARIO.replace("AIM", REACHABLE)
    unknown = files("unknown.yaml", sc.replace("seed: 1", "seed: 1\nspeed: 3"))
    one_line_error(*run("track", unknown, "--json"), "speed = 3", "one of the fields")
    negative = files("neg.yaml", sc.replace("duration_s: 600", "duration_s: -5"))
    one_line_error(*run("demo", negative, "--json"), "duration_s = -5", "> 0")
    sensor = files("sensor.yaml", sc.replace("lon_deg: 127.5}", "lon_deg: 127.5, revisit_s: 0}"))
    one_line_error(*run("simulate", sensor), "partners[0].sensors[0]", "revisit_s")


def test_unreachable_aim_names_the_launch(files):
    """Was a full traceback from track and demo (simulate gave one line)."""
    bad = files("far.yaml", SCENARIO.replace("AIM", UNREACHABLE))
    for command in (["simulate", bad], ["track", bad, "--json"], ["demo", bad, "--json"]):
        line = one_line_error(
            *run(*command), "launches[0] (L1): aim: target=(42, 150): range 2079 km",
            "srbm-solid can reach (at most about ",
        )  # fmt: skip
        assert line.endswith(" km)"), line  # the reach in whole km, as the range


def test_an_aim_no_vehicle_flies_names_the_field_and_value(files):
    """A loft below what the named vehicle flies, and below what any flies (no vehicle named:
    that was an AttributeError from the planner, its rounds spent before the last candidate):
    the field as given (loft=8.4), the planner's figures in whole km (8.4 km under 10)."""
    low = SCENARIO.replace("AIM", "{target: [39.6, 129.0], loft: 8.4}")
    named = files("low.yaml", low)
    anyone = files("low-any.yaml", low.replace(" vehicle: srbm-solid,", ""))
    for command in ("simulate", "track", "demo"):
        line = one_line_error(*run(command, named), "launches[0] (L1): aim: loft=8.4: ")
        assert "apogee 8.4 km over 292 km is below the lowest srbm-solid can fly" in line, line
    for command in ("simulate", "track", "demo"):
        one_line_error(
            *run(command, anyone), "aim: loft=8.4: no catalogue vehicle can fly this aim",
            "apogee 8.4 km over 292 km",
        )  # fmt: skip


def test_bad_options():
    one_line_error(*run("demo", "srbm-salvo", "--speed", "-1"), "speed = -1")
    one_line_error(*run("demo", "srbm-salvo", "--duration-s", "0"), "duration-s = 0")
    one_line_error(*run("demo", "srbm-salvo", "--audit", "/nonexistent/a.sqlite"), "/nonexistent")
    one_line_error(*run("track", "srbm-salvo", "--assess-period-s", "0"), "assess-period-s = 0")
    one_line_error(*run("fly", "--site", "99,125", "--target", "40,130"), "latitude 99")
    one_line_error(*run("fly", "--site", "39,125", "--target", "40,130", "--vehicle", "x"), "'x'")
    one_line_error(*run("bench", "flight", "--repeat", "0"), "repeat = 0")
    one_line_error(*run("bench", "exchange", "--rate", "-1"), "rate = -1")
    one_line_error(*run("generate", "--count", "0"), "count = 0")
    one_line_error(*run("bench", "picture-integrity", "--shipped", "bogus"), "'bogus'")
    one_line_error(*run("bench", "picture-integrity", "--file", "/nonexistent/x.yaml"), "x.yaml")
    one_line_error(*run("bench", "picture-integrity", "--file", "tests"), "no scenario file")


def test_bad_audit_logs(tmp_path):
    one_line_error(*run("replay", str(tmp_path / "none.sqlite")), "does not exist")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("not a database")
    one_line_error(*run("replay", str(garbage)), str(garbage), "cannot replay")
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).execute("create table x (a)")
    one_line_error(*run("replay", str(empty)), str(empty))


def test_bad_policy(files, tmp_path):
    bad = files("policy.yaml", "partners: {KR: [r1]}\npublish: {KR: {detections: maybe}}\n")
    one_line_error(*run("nats-config", bad, "--out", str(tmp_path / "n")), "publish.KR", "maybe")
    one_line_error(
        *run("serve", "--scenario", "srbm-salvo", "--policy", bad, "--start", "0"), "publish.KR"
    )
    one_line_error(
        *run("serve", "--scenario", "srbm-salvo", "--policy", str(tmp_path / "no.yaml"),
             "--start", "0"),
        "no.yaml", "no such file",
    )  # fmt: skip
    neither = files("list.yaml", "[1, 2]\n")
    one_line_error(*run("nats-config", neither, "--out", str(tmp_path / "n")), "neither")


def test_nats_config_tells_a_scenario_from_a_policy(files, tmp_path):
    """A user's scenario file was read as a policy and refused."""
    sc = files("mine.yaml", SCENARIO.replace("AIM", REACHABLE))
    code, out = run("nats-config", sc, "--out", str(tmp_path / "a"))
    assert code == 0, out
    assert (tmp_path / "a" / "credentials" / "KR.json").is_file()
    policy = files("policy.yml", "partners: {KR: [r1], JP: [j1]}\n")
    code, out = run("nats-config", policy, "--out", str(tmp_path / "b"))
    assert code == 0, out
    assert (tmp_path / "b" / "credentials" / "JP.json").is_file()


def test_bad_published_flights_file(files):
    bad = files("flights.csv", "id,foo\n1,2\n")
    one_line_error(*run("validate", "--csv", bad), "column 'vehicle' missing")


def test_a_bug_is_one_line_too(monkeypatch):
    """Anything not a user error still reaches the user as one line (exit 1), with its type."""
    import lookout.scenario as scenario_module

    def broken():
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(scenario_module, "shipped", broken)
    code, out = run("scenarios")
    assert code == 1 and "Traceback" not in out
    assert "internal error (ZeroDivisionError)" in out
