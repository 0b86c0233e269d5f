"""Error pages in GOV.UK style, and JSON errors for the API."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict, HTTPException, InternalServerError

from .extensions import db

ERROR_PAGES = {400, 401, 403, 404, 405, 409, 413, 429, 500, 503}
NUL_MESSAGE = "What you entered includes a null character (\\0), which we cannot accept. Remove it and try again."


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _has_nul(values: Any) -> bool:
    return any("\x00" in value for value in values)


def refuse_nul_characters() -> None:
    """Refuse a request whose address, query or form holds a NUL character, with a 400 that says so.

    PostgreSQL cannot store or compare text containing NUL (it raised a DataError: a 500), and no person types one.
    """
    if "\x00" in request.path or _has_nul(request.args.values()):
        abort(400, description=NUL_MESSAGE)
    if request.method in {"POST", "PUT", "PATCH"} and request.mimetype in {
        "application/x-www-form-urlencoded", "multipart/form-data"
    } and _has_nul(request.form.values()):
        abort(400, description=NUL_MESSAGE)


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)

    @app.errorhandler(StaleDataError)
    def edited_at_the_same_time(error: StaleDataError) -> Any:
        # Two people saved the same record at the same instant (e.g. two moderators approving one change): the
        # version check in the UPDATE stopped the second. Nothing of this request was saved.
        db.session.rollback()
        return http_error(Conflict(description="Someone else changed this at the same time, so we did not save "
                                               "your change. Go back, check the page again and try again."))

    @app.errorhandler(CSRFError)
    def csrf_expired(error: CSRFError) -> Any:
        # Usually the form sat open too long. Say so, and send them back to try again; nothing was saved.
        flash(
            "Your session timed out, so we could not save what you entered. Please try again.",
            "error",
        )
        if request.referrer and request.referrer.startswith(request.host_url):
            return redirect(request.referrer)
        return render_template("errors/400.html", title="Your session timed out"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        if wants_json():
            body = {"error": error.name, "message": error.description, "status": code}
            response = jsonify(body)
            response.status_code = code
            if code == 429:
                response.headers["Retry-After"] = "60"
            allowed = getattr(error, "valid_methods", None)  # only MethodNotAllowed has it
            if code == 405 and allowed:
                response.headers["Allow"] = ", ".join(allowed)  # required by RFC 9110
            return response
        template = f"errors/{code}.html" if code in ERROR_PAGES else "errors/generic.html"
        # Our own description (not the generic one Werkzeug gives every such error) says what to do.
        message = error.description if error.description != type(error).description else None
        return render_template(template, error=error, message=message), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error")
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        return http_error(InternalServerError())
