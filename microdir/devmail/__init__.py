"""Development only: /dev/mail shows every email the app stored, with working links, so a newcomer running
`make demo` can follow each one (registration, password, claims, referrals). Off unless DEV_MAIL_VIEWER is true,
and production refuses to start with it on."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template
from markupsafe import Markup, escape

from ..extensions import db
from ..models import OutboundEmail
from ..permissions import public

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")

LINK = re.compile(r"https?://[^\s<>\"']+")
PAGE_SIZE = 100


def _enabled() -> None:
    if not current_app.config.get("DEV_MAIL_VIEWER"):
        abort(404)


def linkify(text: str) -> Markup:
    """Escape ``text`` and turn each web address in it into a link."""
    escaped = str(escape(text or ""))
    return Markup(LINK.sub(lambda m: f'<a class="govuk-link" href="{m.group(0)}">{m.group(0)}</a>', escaped))


@bp.route("/")
@public
def index() -> Any:
    _enabled()
    messages = db.session.scalars(db.select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(PAGE_SIZE)).all()
    return render_template("devmail/index.html", title="Emails sent (development only)", messages=messages)


@bp.route("/<int:message_id>")
@public
def message(message_id: int) -> Any:
    _enabled()
    item = db.session.get(OutboundEmail, message_id)
    if item is None:
        abort(404)
    return render_template("devmail/message.html", title=item.subject, item=item, body=linkify(item.body))


def init_app(app: Flask) -> None:
    if app.config.get("DEV_MAIL_VIEWER") and app.config.get("PUBLIC_URL_REQUIRED"):
        raise RuntimeError("DEV_MAIL_VIEWER shows every email to anyone: it is for development only, never production.")
    app.register_blueprint(bp)
