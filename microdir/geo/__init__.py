"""Offline UK geography: parse postcodes, geocode them, find towns and measure distances.

Attribution required wherever results are shown (e.g. the About page):
"Source: Office for National Statistics licensed under the Open Government Licence v.3.0. Contains OS data,
Royal Mail data, GeoPlace data and National Statistics data © Crown copyright and database right 2025."
and "Place names and coordinates from GeoNames (https://www.geonames.org/), licensed under CC BY 4.0."
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .build import SCHEMA_VERSION, LoadStats, load_gazetteer
from .distance import METRES_PER_MILE, distance_km, distance_miles, format_distance
from .lookup import (
    PREFERRED_COUNCILS,
    Gazetteer,
    council_name,
    find_places,
    geocode_postcode,
    get_gazetteer,
    is_loaded,
    outcode_centroid,
    resolve_place,
    status,
)
from .places import (
    GazetteerUnavailable,
    OutcodeLocation,
    Place,
    PlaceAmbiguous,
    PlaceChoice,
    PlaceKind,
    PlaceNotFound,
    PostcodeLocation,
    ResolvedPlace,
    normalise_place_name,
)
from .postcodes import (
    Postcode,
    PostcodeError,
    is_standard_postcode,
    looks_like_outcode,
    looks_like_postcode,
    normalise_postcode,
    parse_outcode,
    parse_postcode,
)

__all__ = [
    "Gazetteer",
    "GazetteerUnavailable",
    "LoadStats",
    "OutcodeLocation",
    "Place",
    "PlaceAmbiguous",
    "PlaceChoice",
    "PlaceKind",
    "PlaceNotFound",
    "Postcode",
    "PostcodeError",
    "PostcodeLocation",
    "ResolvedPlace",
    "council_name",
    "METRES_PER_MILE",
    "distance_km",
    "distance_miles",
    "find_places",
    "format_distance",
    "get_gazetteer",
    "geocode_postcode",
    "init_app",
    "is_loaded",
    "load_gazetteer",
    "looks_like_outcode",
    "is_standard_postcode",
    "looks_like_postcode",
    "normalise_place_name",
    "normalise_postcode",
    "outcode_centroid",
    "parse_outcode",
    "parse_postcode",
    "prefer_councils",
    "resolve_place",
    "status",
]

geo_cli = AppGroup("geo", help="Offline UK geography (postcodes, districts, towns).")


def prefer_councils(app: Flask, councils: Callable[[], AbstractSet[str]]) -> None:
    """Offer places in these councils (LAD codes) first when a name means several ("Which Newport did you mean?").

    The deployment has no configured area of its own, so the app factory passes the councils with listings.
    """
    app.extensions[PREFERRED_COUNCILS] = councils


def init_app(app: Flask) -> None:
    """Default the geo database path and register the ``flask geo`` commands."""
    app.config.setdefault("GEO_DATABASE", os.path.join(app.instance_path, "geo.sqlite"))
    app.cli.add_command(geo_cli)


@geo_cli.command("load")
@click.option(
    "--postcodes-csv",
    type=click.Path(exists=True, dir_okay=False),
    help="Load postcodes from a CSV (postcode,latitude,longitude,lad_code,status) instead of the ONSPD package.",
)
@click.option("--areas", default="", help="Only these postcode areas, comma-separated (e.g. B,CV,SK).")
@click.option("--if-missing", is_flag=True, help="Do nothing when a geo database is already loaded.")
def load_command(postcodes_csv: str | None, areas: str, if_missing: bool) -> None:
    """Build the geo database from the pinned packages, replacing any existing one atomically."""
    path = current_app.config["GEO_DATABASE"]
    if if_missing and is_loaded() and status().get("schema_version") == SCHEMA_VERSION:
        click.echo(f"Geo database already loaded at {path}")
        return
    # A database from an older build (before villages and localities) is rebuilt, so `make` brings them in.
    area_list = [a for a in areas.split(",") if a.strip()] or None
    click.echo(f"Building {path}")
    last = [time.perf_counter()]

    def progress(step: str, count: int) -> None:
        # Print at most twice a second: the package load reports after every area file.
        now = time.perf_counter()
        if step == "done" or now - last[0] >= 0.5:
            click.echo(f"  {step}: {count:,}")
            last[0] = now

    try:
        stats = load_gazetteer(path, postcodes_csv=postcodes_csv, areas=area_list, progress=progress)
    except (GazetteerUnavailable, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    rate = stats.postcodes / stats.seconds if stats.seconds else 0.0
    click.echo(
        f"Loaded {stats.postcodes:,} postcodes ({stats.live_postcodes:,} live), {stats.outcodes:,} districts, "
        f"{stats.places:,} places, {stats.localities:,} villages and localities, {stats.councils:,} councils "
        f"in {stats.seconds:.1f} s ({rate:,.0f} postcodes/s)"
    )
    if stats.skipped:
        click.echo(f"Skipped {stats.skipped:,} postcodes with no grid reference or a pre-standard form")


@geo_cli.command("status")
def status_command() -> None:
    """Show whether the geo database is loaded, and its counts."""
    info = status()
    for key, value in info.items():
        click.echo(f"{key}: {value}")
    if not info.get("loaded"):
        raise click.exceptions.Exit(1)


@geo_cli.command("lookup")
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def lookup_command(text: tuple[str, ...], as_json: bool) -> None:
    """Show what search would make of TEXT (a postcode, district or town)."""
    query = " ".join(text)
    try:
        place = resolve_place(query)
    except PlaceNotFound as exc:
        if as_json:
            click.echo(json.dumps({"error": exc.message, "suggestions": exc.suggestions}))
        else:
            click.echo(f"Not found: {exc.message}")
            if exc.suggestions:
                click.echo(f"Suggestions: {', '.join(exc.suggestions)}")
        raise click.exceptions.Exit(1) from None
    except GazetteerUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    fields = {
        "kind": str(place.kind),
        "label": place.label,
        "lat": place.lat,
        "lon": place.lon,
        "lad_code": place.lad_code,
        "council": place.council,
        "outcode": place.outcode,
        "postcode": place.postcode,
    }
    if as_json:
        click.echo(json.dumps(fields))
    else:
        for key, value in fields.items():
            click.echo(f"{key}: {value}")
