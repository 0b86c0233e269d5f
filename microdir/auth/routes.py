from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..domain import accounts
from ..extensions import db, limiter
from ..forms import BaseForm
from ..permissions import public, requires
from .forms import ForgotPasswordForm, NewPasswordForm, SignInForm

bp = Blueprint("auth", __name__)
account = Blueprint("account", __name__, url_prefix="/account")


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    if target and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target):  # no CR/LF into a Location header
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    from ..landing import landing_url

    return landing_url(current_user)


def _login_rate() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_key() -> str:
    return "sign-in:" + (request.form.get("email") or "").strip().lower()


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate, methods=["POST"])
@limiter.limit(_login_rate, methods=["POST"], key_func=_login_account_key)
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        form.email.errors.append("Enter a correct email address and password")
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["GET", "POST"])
@public
def sign_out() -> Any:
    if request.method == "POST" or not current_user.is_authenticated:
        if current_user.is_authenticated:  # a POST, so CSRFProtect has checked its token
            accounts.sign_out(current_user._get_current_object())
            db.session.commit()
        logout_user()
        session.clear()
        flash("You have signed out", "success")
        return redirect(url_for("public.home"))
    # GET shows a confirm button, so a link on another site cannot sign people out.
    return render_template("auth/sign_out.html", form=BaseForm())


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate, methods=["POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.monotonic()
        accounts.request_password_reset(form.email.data or "")
        db.session.commit()
        page = render_template("auth/check_email.html", email=form.email.data)
        # Answer no sooner than RESET_REQUEST_MIN_SECONDS, so a known address (a token made, a message stored)
        # takes as long as an unknown one and the time does not tell (bench/forgot_password.py measures it).
        time.sleep(max(0.0, float(current_app.config["RESET_REQUEST_MIN_SECONDS"]) - (time.monotonic() - started)))
        return page
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> Any:
    user = accounts.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_link_invalid.html"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data or "")
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            logout_user()
            flash("Your password has been changed. Sign in with your new password.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form)


@account.route("/")
@requires("account.view")
def home() -> Any:
    return render_template("auth/account.html")
