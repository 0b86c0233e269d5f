"""Fixtures for the geo tests: gazetteers built once per session, and a minimal Flask app.

The app fixtures are named geo_app, not app, so the suite-wide conftest (which resets the main database
for any test using "app") leaves them alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from microdir import geo
from microdir.geo.build import LoadStats, load_gazetteer
from microdir.geo.lookup import Gazetteer

# The postcode areas the package cross-check loads: small enough to build in a few seconds.
CROSS_CHECK_AREAS = ["B", "CV", "HD", "SK"]


def shared_geo_dir() -> Path:
    """Return the shared geo data folder (../shared/geo beside the repo, or $MICRODIR_SHARED_DIR/geo)."""
    base = os.environ.get("MICRODIR_SHARED_DIR")
    root = Path(base) if base else Path(__file__).resolve().parents[3] / "shared"
    return root / "geo"


@pytest.fixture(scope="session")
def geo_data_dir() -> Path:
    path = shared_geo_dir()
    if not (path / "sample_postcodes.csv").exists():
        pytest.fail(f"Shared geo data not found in {path}; set MICRODIR_SHARED_DIR")
    return path


@pytest.fixture(scope="session")
def sample_csv(geo_data_dir: Path) -> Path:
    return geo_data_dir / "sample_postcodes.csv"


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory, sample_csv: Path) -> tuple[Path, LoadStats]:
    path = tmp_path_factory.mktemp("geo-sample") / "geo.sqlite"
    stats = load_gazetteer(path, postcodes_csv=sample_csv)
    return path, stats


@pytest.fixture(scope="session")
def sample_db(sample_build: tuple[Path, LoadStats]) -> Path:
    return sample_build[0]


@pytest.fixture()
def gaz(sample_db: Path) -> Iterator[Gazetteer]:
    gazetteer = Gazetteer(sample_db)
    yield gazetteer
    gazetteer.close()


@pytest.fixture(scope="session")
def package_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("geo-package") / "geo.sqlite"
    load_gazetteer(path, areas=CROSS_CHECK_AREAS)
    return path


@pytest.fixture()
def geo_app(tmp_path: Path, sample_db: Path) -> Iterator[Flask]:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True)
    geo.init_app(app)
    app.config["GEO_DATABASE"] = str(sample_db)
    with app.app_context():
        yield app
    geo.get_gazetteer(str(sample_db)).close()


@pytest.fixture()
def empty_geo_app(tmp_path: Path) -> Flask:
    """Return an app whose geo database has not been built (default path in its instance folder)."""
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True)
    geo.init_app(app)
    return app
