from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from ..domain import accounts, two_factor
from ..extensions import db, limiter
from ..forms import BaseForm
from ..models import User
from ..permissions import public, requires
from ..transactions import transaction
from .forms import ForgotPasswordForm, NewPasswordForm, SignInForm, TwoFactorCodeForm, TwoFactorSetupForm

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


def _sign_in_refused(response: Any) -> bool:
    """Count only refused passwords: a team behind one office address signs in every morning (as with codes)."""
    return bool(response.status_code != 302)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate, methods=["POST"], deduct_when=_sign_in_refused)
@limiter.limit(_login_rate, methods=["POST"], key_func=_login_account_key, deduct_when=_sign_in_refused)
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        with transaction():
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            if user.two_factor_enabled:
                # The password was right; the person is not signed in until the code step passes.
                session[PENDING] = {"user": user.id, "generation": user.session_generation,
                                    "started": time.time(), "next": request.args.get("next") or ""}
                return redirect(url_for("auth.sign_in_code"))
            return _finish_sign_in(user, "password", request.args.get("next"))
        form.email.errors.append("Enter a correct email address and password")
    return render_template("auth/sign_in.html", form=form)


PENDING = "two_factor_pending"


def _finish_sign_in(user: User, method: str, next_url: str | None) -> Any:
    """Sign the person in (after every step they need), then send them on, or to set up two-factor sign-in."""
    session.pop(PENDING, None)
    with transaction():
        accounts.record_sign_in(user, method)
        login_user(user)
    if two_factor.needs_enrolment(user):
        return redirect(url_for("account.two_factor_setup", next=next_url or None))
    return redirect(_safe_next(next_url))


def _pending_user() -> User | None:
    """Return the person part-way through signing in (password right, code not yet given), if still in time."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("started") or 0) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    user_id = pending.get("user")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or user.session_generation != pending.get("generation"):
        session.pop(PENDING, None)
        return None
    return user


def _two_factor_rate() -> str:
    return current_app.config["TWO_FACTOR_RATE_LIMIT"]


def _two_factor_account_key() -> str:
    pending = session.get(PENDING)
    return "two-factor:" + str(pending.get("user") if isinstance(pending, dict) else "none")


def _code_refused(response: Any) -> bool:
    """Count only refused codes: colleagues behind one office address each sign in with a good code every day."""
    return bool(response.status_code != 302)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@limiter.limit(_two_factor_rate, methods=["POST"], deduct_when=_code_refused)
@limiter.limit(_two_factor_rate, methods=["POST"], key_func=_two_factor_account_key, deduct_when=_code_refused)
def sign_in_code() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(None))
    user = _pending_user()
    if user is None:
        flash("Sign in again: the time to enter your code ran out, or you have not entered your password yet.", "info")
        return redirect(url_for("auth.sign_in"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        with transaction():  # a refused code is audited too
            method = two_factor.verify_sign_in(user, form.code.data or "")
        if method is not None:
            next_url = session.get(PENDING, {}).get("next")
            response = _finish_sign_in(user, method, next_url)
            if method == "recovery_code":
                left = two_factor.recovery_codes_left(user)
                flash(f"You used a recovery code. You have {left} left: you can get new ones on your account page.",
                      "info")
            return response
        form.code.errors.append("Enter a correct code: the 6 digits your authenticator app shows now, "
                                "or an unused recovery code")
    return render_template("auth/two_factor_code.html", form=form)


@bp.route("/sign-out", methods=["GET", "POST"])
@public
def sign_out() -> Any:
    if request.method == "POST" or not current_user.is_authenticated:
        if current_user.is_authenticated:  # a POST, so CSRFProtect has checked its token
            with transaction():
                accounts.sign_out(current_user._get_current_object())
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
        with transaction():
            accounts.request_password_reset(form.email.data or "")
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
        with transaction(accounts.AccountError) as done:
            accounts.set_password(user, form.password.data or "")
        if done.refused:
            form.password.errors.append(done.message)
        else:
            logout_user()
            flash("Your password has been changed. Sign in with your new password.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form)


@account.route("/")
@requires("account.view")
def home() -> Any:
    return render_template("auth/account.html", two_factor_required=two_factor.required_for(current_user))


@account.route("/two-factor")
@requires("account.view")
def two_factor_settings() -> Any:
    user = current_user._get_current_object()
    return render_template("auth/two_factor.html", required=two_factor.required_for(user),
                           codes_left=two_factor.recovery_codes_left(user) if user.two_factor_enabled else 0,
                           form=BaseForm())


@account.route("/two-factor/set-up", methods=["GET", "POST"])
@requires("account.view")
def two_factor_setup() -> Any:
    user = current_user._get_current_object()
    if user.two_factor_enabled:
        return redirect(url_for("account.two_factor_settings"))
    with transaction():
        secret = two_factor.start_enrolment(user)
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        with transaction():
            codes = two_factor.confirm_enrolment(user, form.code.data or "")
        if codes is not None:
            # Shown once, in this response: only their hashes are kept.
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True,
                                   continue_url=_safe_next(request.args.get("next")))
        form.code.errors.append("Enter the 6-digit code your authenticator app shows now")
    return render_template("auth/two_factor_setup.html", form=form, required=two_factor.required_for(user),
                           qr_svg=Markup(two_factor.qr_code_svg(user)),  # noqa: S704 - SVG made by segno here
                           secret=two_factor.grouped_secret(secret))


@account.route("/two-factor/recovery-codes", methods=["POST"])
@requires("account.view")
def two_factor_recovery_codes() -> Any:
    user = current_user._get_current_object()
    if not user.two_factor_enabled:
        return redirect(url_for("account.two_factor_settings"))
    with transaction():
        codes = two_factor.new_recovery_codes(user)
    return render_template("auth/recovery_codes.html", codes=codes, first_time=False,
                           continue_url=url_for("account.two_factor_settings"))


@account.route("/two-factor/turn-off", methods=["POST"])
@requires("account.view")
def two_factor_turn_off() -> Any:
    user = current_user._get_current_object()
    if two_factor.required_for(user):
        abort(403)  # required for this role; an admin can reset it for a lost device
    if user.two_factor_enabled:
        with transaction():
            two_factor.turn_off(user)
        flash("Two-factor sign-in is off", "success")
    return redirect(url_for("account.two_factor_settings"))
