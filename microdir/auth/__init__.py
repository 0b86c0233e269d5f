"""Sign in, sign out, password reset, and the signed-in person's account page."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_login import current_user

from ..domain import two_factor
from ..extensions import db, login_manager
from ..models import User

# What someone who must set up two-factor sign-in may still reach before they have.
ENROLMENT_ALLOWED = frozenset({"account.two_factor_setup", "auth.sign_out", "static", "govuk_assets", "public.healthz"})


def init_app(app: Flask) -> None:
    from .routes import account, bp

    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # The id carries the session generation: signing out, a password change or "stop sign-in" bumps it,
        # which ends every session signed in before, wherever its cookie has been copied to.
        try:
            raw_id, generation = user_id.split(":")
            user = db.session.get(User, int(raw_id))
        except ValueError:
            return None
        if user is None or str(user.session_generation) != generation:
            return None
        return user

    @app.before_request
    def forget_cached_identity() -> Any:
        # Each request identifies its user from its own session cookie, even where an app context outlives
        # one request (the test client inside a test's app context, or a CLI command making requests).
        g.pop("_login_user", None)
        g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
        if "_user_id" in session and not current_user.is_authenticated:
            # The session's generation is stale (signed out elsewhere, password changed, sign-in stopped):
            # forget it, so nothing else the session held outlives the sign-in.
            session.clear()
        if (
            current_user.is_authenticated
            and request.endpoint not in ENROLMENT_ALLOWED
            and two_factor.needs_enrolment(current_user)
        ):
            # Staff who must use two-factor sign-in set it up before they see any other page.
            if request.path.startswith("/api/"):
                abort(403)
            return redirect(url_for("account.two_factor_setup", next=request.full_path.rstrip("?")))
        return None

    app.register_blueprint(bp)
    app.register_blueprint(account)
