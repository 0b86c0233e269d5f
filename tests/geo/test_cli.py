"""The ``flask geo`` commands, run through Flask's CLI test runner."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask


def test_load_status_lookup(empty_geo_app: Flask, sample_csv: Path) -> None:
    runner = empty_geo_app.test_cli_runner()

    result = runner.invoke(args=["geo", "status"])
    assert result.exit_code == 1
    assert "loaded: False" in result.output

    result = runner.invoke(args=["geo", "load", "--postcodes-csv", str(sample_csv)])
    assert result.exit_code == 0, result.output
    assert "Loaded 8,875 postcodes (4,197 live), 8 districts" in result.output
    assert Path(empty_geo_app.config["GEO_DATABASE"]).exists()

    result = runner.invoke(args=["geo", "status"])
    assert result.exit_code == 0
    assert "postcodes: 8875" in result.output

    result = runner.invoke(args=["geo", "lookup", "b66", "1aa"])
    assert result.exit_code == 0, result.output
    assert "label: B66 1AA" in result.output
    assert "council: Sandwell" in result.output

    result = runner.invoke(args=["geo", "lookup", "--json", "Smethwick"])
    assert json.loads(result.output)["outcode"] == "B66"

    result = runner.invoke(args=["geo", "lookup", "B66 9ZZ"])
    assert result.exit_code == 1
    assert "Suggestions: B66" in result.output


def test_lookup_without_a_database_fails_cleanly(empty_geo_app: Flask) -> None:
    result = empty_geo_app.test_cli_runner().invoke(args=["geo", "lookup", "B66 1AA"])
    assert result.exit_code == 1
    assert "flask geo load" in result.output


def test_load_rejects_bad_areas(empty_geo_app: Flask, sample_csv: Path) -> None:
    result = empty_geo_app.test_cli_runner().invoke(
        args=["geo", "load", "--postcodes-csv", str(sample_csv), "--areas", "B1"]
    )
    assert result.exit_code == 1
    assert "Postcode areas are one or two letters" in result.output


def test_load_if_missing_rebuilds_a_database_from_before_villages(empty_geo_app: Flask, sample_csv: Path) -> None:
    import sqlite3

    runner = empty_geo_app.test_cli_runner()
    assert runner.invoke(args=["geo", "load", "--postcodes-csv", str(sample_csv)]).exit_code == 0
    result = runner.invoke(args=["geo", "load", "--if-missing", "--postcodes-csv", str(sample_csv)])
    assert "already loaded" in result.output
    conn = sqlite3.connect(empty_geo_app.config["GEO_DATABASE"])
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    result = runner.invoke(args=["geo", "load", "--if-missing", "--postcodes-csv", str(sample_csv)])
    assert result.exit_code == 0 and "villages and localities" in result.output, result.output
