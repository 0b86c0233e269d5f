"""`make demo` then `make test`, as the README says: the suite must not read the demo's instance/config.py.

It has DEV_MAIL_VIEWER on (production refuses to start with it), so six production-config and mail tests failed
on a machine where the demo had been run."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

REPO = Path(__file__).resolve().parents[1]


def test_the_suites_apps_never_use_the_repositorys_instance_folder(app: Flask) -> None:
    assert Path(app.instance_path).resolve() != (REPO / "instance").resolve()
    assert not (Path(app.instance_path) / "config.py").exists()
