"""Sign in, sign out, password reset, and the signed-in person's account page."""

from __future__ import annotations

from flask import Flask, g, session
from flask_login import current_user

from ..extensions import db, login_manager
from ..models import User


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
    def forget_cached_identity() -> None:
        # Each request identifies its user from its own session cookie, even where an app context outlives
        # one request (the test client inside a test's app context, or a CLI command making requests).
        g.pop("_login_user", None)
        g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
        if "_user_id" in session and not current_user.is_authenticated:
            # The session's generation is stale (signed out elsewhere, password changed, sign-in stopped):
            # forget it, so nothing else the session held outlives the sign-in.
            session.clear()

    app.register_blueprint(bp)
    app.register_blueprint(account)
