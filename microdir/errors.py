"""Error pages in GOV.UK style, and JSON errors for the API."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

ERROR_PAGES = {400, 401, 403, 404, 405, 413, 429, 500, 503}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def init_app(app: Flask) -> None:
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
        if _wants_json():
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
        return render_template(template, error=error), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error")
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        return http_error(InternalServerError())
