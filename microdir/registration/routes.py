"""Registration, the set-up task list, claims of existing listings and inviting colleagues. Thin views."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from ..domain import accounts, claims, provider_profiles, registration, revisions
from ..domain.listings import FULL_TIME_HOURS, assess_micro_provider
from ..extensions import db, limiter
from ..forms import BaseForm, apply_row_action
from ..models import (
    LEGAL_FORM_LABELS,
    ListingClaim,
    ListingStatus,
    Organization,
    QualityCheckType,
    Role,
    Service,
    utcnow,
)
from ..permissions import public, require, requires
from ..providers.forms import QualityCheckForm, VersionForm, WorkforceForm
from ..providers.submission import submit_for_review
from ..signed_links import LinkExpired, LinkInvalid
from ..transactions import transaction
from .forms import (
    AboutOrganisationForm,
    AccountForm,
    ClaimForm,
    CompletedForm,
    EmailForm,
    InviteForm,
    RejectClaimForm,
    WorkersForm,
)

bp = Blueprint("registration", __name__)


def _me() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _load_service(service_id: str) -> Service:
    service = db.session.get(Service, service_id) if len(service_id) <= 36 else None
    if service is None:
        abort(404)
    require("listing.manage", service)
    return service


def _link_problem(error: LinkInvalid, *, kind: str) -> Any:
    """One clear page for a link that is too old, already used, or not a real link."""
    if isinstance(error, LinkExpired):
        reason = "expired"
    elif isinstance(error, registration.LinkUsed):
        reason = "used"
    else:
        reason = "invalid"
    return render_template("registration/link_problem.html", reason=reason, kind=kind), 400


# ---- step 1: email address, verification, account ----------------------------------------------------------------

def _registration_rate() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _registration_address_key() -> str:
    return "register:" + (request.form.get("email") or "").strip().lower()


@bp.route("/register")
@public
def start() -> Any:
    return render_template("registration/start.html", next=registration.safe_next(request.args.get("next")))


@bp.route("/register/email", methods=["GET", "POST"])
@public
@limiter.limit(_registration_rate, methods=["POST"])
@limiter.limit(_registration_rate, methods=["POST"], key_func=_registration_address_key)
def email() -> Any:
    form = EmailForm()
    next_url = registration.safe_next(request.args.get("next"))
    if form.validate_on_submit():
        with transaction(accounts.AccountError) as done:
            registration.start_registration(form.email.data or "", next_url)
        if not done.refused:
            return render_template("registration/check_email.html", email=form.email.data)
        form.email.errors.append(done.message)
    return render_template("registration/email.html", form=form, next=next_url)


@bp.route("/register/verify/<token>", methods=["GET", "POST"])
@public
def verify(token: str) -> Any:
    try:
        verification, next_url = registration.verification_for_token(token)
    except LinkInvalid as error:
        return _link_problem(error, kind="verify")
    form = AccountForm()
    if form.validate_on_submit():
        with transaction(accounts.AccountError) as done:
            user = registration.complete_registration(verification, form.name.data or "", form.password.data or "")
        if done.refused:
            form.password.errors.append(done.message)
        else:
            login_user(user)
            flash("Your account has been created and you are signed in.", "success")
            return redirect(next_url or url_for(".new_organisation"))
    return render_template("registration/account.html", form=form, email=verification.email)


# ---- step 2: the organisation, its workers, and the task list -----------------------------------------------------

@bp.route("/register/organisation", methods=["GET", "POST"])
@requires("organisation.create")
def new_organisation() -> Any:
    form = AboutOrganisationForm()
    if form.validate_on_submit():
        with transaction():
            service = registration.create_organisation(_me(), form.about())
        return redirect(url_for(".workers", service_id=service.id))
    return render_template("registration/about.html", form=form, action=url_for(".new_organisation"), service=None)


@bp.route("/register/services/<service_id>/about", methods=["GET", "POST"])
@requires("listing.manage")
def about(service_id: str) -> Any:
    service = _load_service(service_id)
    organization = service.organization
    form = AboutOrganisationForm()
    if not form.is_submitted():
        form.fill(organization)
    elif form.validate():
        with transaction(registration.RegistrationError) as done:
            registration.update_organisation(organization, form.about(), _me())
        if done.refused:
            flash(done.message, "error")
        return redirect(url_for(".tasks", service_id=service.id))
    return render_template("registration/about.html", form=form, service=service,
                           action=url_for(".about", service_id=service.id))


@bp.route("/register/services/<service_id>/workers", methods=["GET", "POST"])
@requires("listing.manage")
def workers(service_id: str) -> Any:
    service = _load_service(service_id)
    organization = service.organization
    # An organisation from an imported listing has no answers about itself yet: ask those here too.
    form: WorkersForm | WorkforceForm = WorkersForm() if organization.profile is not None else WorkforceForm()
    answered = registration.workers_status(organization) == registration.COMPLETED
    people, estimated = provider_profiles.people_of(organization.profile)
    if not form.is_submitted():
        if answered:
            form.fill_people(people)
    elif apply_row_action(form.people, request.form.get("row_action", "")):
        pass  # a row was added or removed: show the page again
    elif form.validate():
        workforce = form.answers(organization.profile) if isinstance(form, WorkersForm) else form.answers()
        with transaction():
            verdict = registration.save_workers(organization, workforce, _me())
        flash(f"Your answers have been saved. {verdict.summary}.", "success")
        return redirect(url_for(".tasks", service_id=service.id))
    return render_template("registration/workers.html", form=form, service=service, organization=organization,
                           verdict=assess_micro_provider(organization.profile) if answered else None,
                           estimated=answered and estimated, full_time_hours=FULL_TIME_HOURS)


def _section_link(service: Service, key: str) -> str:
    """The section editor's page for one section; saving it comes back to the task list."""
    return url_for("providers.edit_section", service_id=service.id, section=key,
                   next=url_for(".tasks", service_id=service.id))


def _task_link(service: Service, task: registration.Task) -> str | None:
    if task.status == registration.CANNOT_START:
        return None
    if task.is_section:
        return _section_link(service, task.key)
    endpoints = {"about": ".about", "workers": ".workers", "quality_checks": ".quality_checks", "check": ".check_answers"}
    return url_for(endpoints[task.key], service_id=service.id)


@bp.route("/register/services/<service_id>/tasks")
@requires("listing.manage")
def tasks(service_id: str) -> Any:
    service = _load_service(service_id)
    if service.listing_status is not ListingStatus.DRAFT:
        flash(f"{service.name} has already been sent for review.", "info")
        return redirect(url_for("providers.listings"))
    rows = registration.tasks(service)
    done = sum(1 for t in rows[:-1] if t.status == registration.COMPLETED)
    return render_template("registration/tasks.html", service=service, rows=rows, done=done, total=len(rows) - 1,
                           link=lambda task: _task_link(service, task))


@bp.route("/register/services/<service_id>/quality-checks", methods=["GET", "POST"])
@requires("listing.manage")
def quality_checks(service_id: str) -> Any:
    service = _load_service(service_id)
    organization = service.organization
    form = CompletedForm()
    if form.validate_on_submit():
        with transaction():
            registration.mark_quality_checks(organization, form.completed.data == "yes", _me())
        return redirect(url_for(".tasks", service_id=service.id))
    from ..domain.provider_profiles import check_status

    return render_template("registration/quality_checks.html", form=form, service=service,
                           organization=organization, check_status=check_status, today=utcnow().date())


@bp.route("/register/services/<service_id>/quality-checks/new", methods=["GET", "POST"])
@requires("listing.manage")
def new_check(service_id: str) -> Any:
    service = _load_service(service_id)
    form = QualityCheckForm()
    if form.validate_on_submit():
        from ..domain import provider_profiles

        with transaction():
            provider_profiles.record_quality_check(
                service.organization, QualityCheckType(form.check_type.data), _me(),
                reference=form.reference.data, description=form.description.data,
                cover_amount=form.cover_amount.number, expires_on=form.expires_on.data,
            )
        flash("Your check has been saved. A moderator will verify it.", "success")
        return redirect(url_for(".quality_checks", service_id=service.id))
    return render_template("registration/new_check.html", form=form, service=service)


@bp.route("/register/services/<service_id>/check")
@requires("listing.manage")
def check_answers(service_id: str) -> Any:
    service = _load_service(service_id)
    if service.listing_status is not ListingStatus.DRAFT:
        return redirect(url_for(".tasks", service_id=service.id))
    return render_template(
        "registration/check_answers.html", service=service, organization=service.organization,
        verdict=assess_micro_provider(service.organization.profile), rows=registration.summary_rows(service),
        workers_answered=registration.workers_status(service.organization) == registration.COMPLETED,
        fte=lambda value: format(Decimal(value).normalize(), "f"), legal_forms=LEGAL_FORM_LABELS,
        missing=registration.incomplete_tasks(service), sections=dict(registration.listing_sections()),
        section_link=lambda key: _section_link(service, key), form=VersionForm(),
        fingerprint=revisions.listing_fingerprint(service),
    )


@bp.route("/register/services/<service_id>/submit", methods=["POST"])
@requires("listing.manage")
def submit(service_id: str) -> Any:
    service = _load_service(service_id)
    return submit_for_review(
        service, done=url_for(".submitted", service_id=service.id),
        changed=url_for(".check_answers", service_id=service.id), refused=url_for(".tasks", service_id=service.id),
        announce=False,
    )


@bp.route("/register/services/<service_id>/submitted")
@requires("listing.manage")
def submitted(service_id: str) -> Any:
    service = _load_service(service_id)
    if service.listing_status is not ListingStatus.PENDING_REVIEW:
        return redirect(url_for("providers.listings"))
    return render_template("registration/submitted.html", service=service)


# ---- claims ------------------------------------------------------------------------------------------------------

def _claimable_or_404(service_id: str) -> Service:
    service = db.session.get(Service, service_id) if len(service_id) <= 36 else None
    if service is None or service.listing_status is not ListingStatus.PUBLISHED:
        abort(404)
    return service


@bp.route("/services/<service_id>/claim")
@public
def claim_start(service_id: str) -> Any:
    service = _claimable_or_404(service_id)
    is_provider = current_user.is_authenticated and current_user.role is Role.PROVIDER
    return render_template(
        "registration/claim.html", service=service, claimable=claims.is_claimable(service),
        address=claims.claim_address(service), is_provider=is_provider, form=ClaimForm(),
    )


def _claim_rate() -> str:
    return current_app.config["CLAIM_RATE_LIMIT"]


@bp.route("/services/<service_id>/claim", methods=["POST"])
@requires("listing.claim")
@limiter.limit(_claim_rate)
def claim_submit(service_id: str) -> Any:
    service = _claimable_or_404(service_id)
    form = ClaimForm()
    if form.validate_on_submit():
        with transaction(claims.ClaimError) as done:
            claim = claims.start_claim(service, _me(), form.connection.data or "")
        if done.refused:
            flash(done.message, "error")
            return redirect(url_for(".claim_start", service_id=service.id))
        return redirect(url_for(".claim_sent", claim_id=claim.id))
    return render_template(
        "registration/claim.html", service=service, claimable=claims.is_claimable(service),
        address=claims.claim_address(service), is_provider=True, form=form,
    )


@bp.route("/claims/<claim_id>")
@requires("listing.claim")
def claim_sent(claim_id: str) -> Any:
    claim = db.session.get(ListingClaim, claim_id) if len(claim_id) <= 36 else None
    if claim is None or claim.claimant_id != current_user.id:
        abort(404)
    return render_template("registration/claim_sent.html", claim=claim)


@bp.route("/claims/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_claim(token: str) -> Any:
    try:
        claim = claims.claim_for_token(token)
    except LinkInvalid as error:
        return _link_problem(error, kind="claim")
    form = BaseForm()
    # A button, not the link itself, confirms: mail scanners that open links must not make someone a member.
    if form.validate_on_submit():
        with transaction():
            claims.confirm_by_email(claim)
        return render_template("registration/claim_confirmed.html", claim=claim)
    return render_template("registration/confirm_claim.html", claim=claim, form=form)


@bp.route("/moderation/claims")
@requires("moderation.review")
def claims_queue() -> Any:
    return render_template("registration/claims_queue.html", claims=claims.pending_claims())


def _load_claim(claim_id: str) -> ListingClaim:
    claim = db.session.get(ListingClaim, claim_id) if len(claim_id) <= 36 else None
    if claim is None:
        abort(404)
    return claim


@bp.route("/moderation/claims/<claim_id>")
@requires("moderation.review")
def review_claim(claim_id: str) -> Any:
    claim = _load_claim(claim_id)
    return render_template("registration/review_claim.html", claim=claim, form=RejectClaimForm(),
                           members=registration.members(claim.organization))


@bp.route("/moderation/claims/<claim_id>/approve", methods=["POST"])
@requires("moderation.review")
def approve_claim(claim_id: str) -> Any:
    claim = _load_claim(claim_id)
    if not BaseForm().validate_on_submit():
        abort(400)
    with transaction(claims.ClaimError) as done:
        claims.approve(claim, _me())
    if done.refused:
        flash(done.message, "error")
        return redirect(url_for(".review_claim", claim_id=claim_id))
    flash(f"{claim.claimant.name} can now manage {claim.service.name}.", "success")
    return redirect(url_for(".claims_queue"))


@bp.route("/moderation/claims/<claim_id>/reject", methods=["POST"])
@requires("moderation.review")
def reject_claim(claim_id: str) -> Any:
    claim = _load_claim(claim_id)
    form = RejectClaimForm()
    if form.validate_on_submit():
        with transaction(claims.ClaimError) as done:
            claims.reject(claim, _me(), form.reason.data or "")
        if done.refused:
            flash(done.message, "error")
            return redirect(url_for(".review_claim", claim_id=claim_id))
        flash(f"The claim of {claim.service.name} was rejected and {claim.claimant.name} has been told why.", "success")
        return redirect(url_for(".claims_queue"))
    return render_template("registration/review_claim.html", claim=claim, form=form,
                           members=registration.members(claim.organization))


# ---- members -----------------------------------------------------------------------------------------------------

@bp.route("/provider/organisations/<organization_id>/members/invite", methods=["GET", "POST"])
@requires("organisation.invite")
def invite(organization_id: str) -> Any:
    organization = db.session.get(Organization, organization_id) if len(organization_id) <= 36 else None
    if organization is None:
        abort(404)
    require("organisation.invite", organization)
    form = InviteForm()
    if form.validate_on_submit():
        with transaction(accounts.AccountError) as done:
            colleague = registration.invite_colleague(organization, _me(), form.name.data or "", form.email.data or "")
        if done.refused:
            form.email.errors.append(done.message)
        else:
            flash(f"We have sent {colleague.email} an email about managing {organization.name}.", "success")
            return redirect(url_for("providers.listings"))
    return render_template("registration/invite.html", form=form, organization=organization)
