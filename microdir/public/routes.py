from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, limiter
from ..permissions import public

bp = Blueprint("public", __name__)


@bp.route("/")
@public
def home() -> Any:
    return render_template("public/home.html")


@bp.route("/accessibility")
@public
def accessibility() -> Any:
    return render_template("public/accessibility.html")


@bp.route("/cookies")
@public
def cookies() -> Any:
    return render_template("public/cookies.html")


@bp.route("/privacy")
@public
def privacy() -> Any:
    return render_template("public/privacy.html")


@bp.route("/data-credits")
@public
def data_credits() -> Any:
    return render_template("public/data_credits.html")


def database_health() -> tuple[bool, dict[str, Any]]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return False, {"error": type(error).__name__}
    return True, {"dialect": db.engine.dialect.name}


@bp.route("/healthz")
@public
@limiter.exempt
def healthz() -> Any:
    checks: dict[str, Any] = {}
    healthy = True
    for name, check in current_app.extensions.get("microdir.health_checks", {}).items():
        try:
            ok, detail = check()
        except Exception as error:  # a health check must report, never crash
            ok, detail = False, {"error": type(error).__name__}
        checks[name] = {"ok": ok, **detail}
        healthy = healthy and ok
    # "degraded": every failing check still works but lags (a search index behind its change log), so a load
    # balancer should send traffic elsewhere while the node catches up; "unavailable": something is down.
    degraded = not healthy and all(c["ok"] or c.get("degraded") for c in checks.values())
    failed = [name for name, check in checks.items() if not check["ok"]]  # which dependency, at a glance
    response = jsonify({"status": "ok" if healthy else "degraded" if degraded else "unavailable", "failed": failed,
                        "checks": checks})
    response.status_code = 200 if healthy else 503
    return response
