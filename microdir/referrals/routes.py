"""Link workers' referral pages (/referrals) and providers' inbox (/inbox). Thin: load, check, operate, redirect."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import shortlist, submissions, wording
from ..domain import audit, outcomes
from ..domain import caseload as caseload_ops
from ..domain import referrals as ops
from ..domain import subject_access as sar_words
from ..domain.outcomes import ONS4
from ..domain.taxonomy import needs as taxonomy_needs
from ..extensions import db, limiter
from ..models import CapacityStatus, CloseOutcome, DeclineReason, Referral, ReferralStatus, Service, utcnow
from ..pagination import govuk_pagination, one_page, page_number
from ..permissions import can, public, require, requires
from ..signed_links import LinkInvalid, LinkPurpose, read_link_token
from ..transactions import Outcome, transaction
from .forms import (
    ActionForm,
    AdminReasonForm,
    CloseForm,
    ConfirmWithdrawForm,
    ConsentForm,
    DeclineForm,
    DidNotStartForm,
    FindMyReferralForm,
    FollowUpDateForm,
    FromShortlistForm,
    NoteForm,
    ReferralDetailsForm,
    SendForm,
    SubjectAccessForm,
    TeamCloseForm,
    VersionedForm,
    WellbeingForm,
    scale_form,
)

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
inbox = Blueprint("inbox", __name__, url_prefix="/inbox")
receipt = Blueprint("referral_receipt", __name__, url_prefix="/your-referral")
admin = Blueprint("referral_admin", __name__, url_prefix="/admin/referrals")

PROVIDER_BUTTONS = {"accept": "Accept referral", "first_contact": "Record first contact", "engage": "Record that they are taking part"}


@bp.app_context_processor
def referral_labels() -> dict[str, Any]:
    return {
        "status_labels": wording.REFERRAL_STATUS_LABELS,
        "status_tags": wording.REFERRAL_STATUS_TAGS,
        "decline_labels": wording.DECLINE_REASON_LABELS,
        "outcome_labels": wording.CLOSE_OUTCOME_LABELS,
        "contact_labels": wording.CONTACT_METHOD_LABELS,
        "ons4": ONS4,
        "wellbeing_shared_versions": ops.WELLBEING_SHARED_VERSIONS,
        "action_labels": ops.ACTION_LABELS,
        "format_date": wording.format_date,
        "referral_response_figures": _response_figures_for,
    }


def _response_figures_for(service: Service) -> ops.ResponseFigures | None:
    """For the listing page: the provider's reply figures, for the roles that may see them."""
    if not can(current_user, "referral.view_response_figures"):
        return None
    return ops.response_figures(service.organization_id)


def _load(referral_id: str, capability: str) -> Referral:
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    require(capability, referral)
    return referral


def _need_names() -> dict[str, str]:
    return {term.code: term.name for term in taxonomy_needs() if term.code}


def _details_form(**kwargs: Any) -> ReferralDetailsForm:
    return ReferralDetailsForm(needs=[(code, name) for code, name in _need_names().items()], **kwargs)


# A refused step changes nothing: the transaction rolls back and the person is told why.
REFUSED = (ops.TransitionError, ops.ReferralError)


def _refused(done: Outcome) -> bool:
    """Flash why the request was refused (nothing was changed); return True when it was."""
    if done.refused:
        flash(done.message, "error")
    return done.refused


# ---- link workers ------------------------------------------------------------------------------------------------

CASELOAD_PAGE_SIZE = 50


@bp.route("/")
@requires("referral.create")
def caseload() -> Any:
    status_value = request.args.get("status", "")
    status = next((s for s in ReferralStatus if s.value == status_value), None)
    overdue = request.args.get("overdue") == "yes"
    mine = request.args.get("mine") == "yes"
    reference = (request.args.get("reference") or "").strip()[:40]
    sort = request.args.get("sort", "due")
    sort = sort if sort in caseload_ops.SORTS else "due"
    team_id = current_user.team_id
    rows = caseload_ops.caseload_rows(team_id, status=status, needs_my_action=mine, reference=reference or None,
                                      sort=sort) if team_id else []
    if overdue:
        rows = [row for row in rows if row.overdue]
    shown, page, pages = one_page(rows, page_number(request.args.get("page")), CASELOAD_PAGE_SIZE)
    if shown:
        with transaction():  # only the people on this page were shown
            audit.record("referral.view_personal_data", "team", team_id, page="caseload",
                         referral_ids=[row.referral.id for row in shown])
    filters = {"status": status.value if status else "", "mine": "yes" if mine else "",
               "overdue": "yes" if overdue else "", "reference": reference}
    filters = {key: value for key, value in filters.items() if value}
    kept: dict[str, Any] = {**filters, **({"sort": sort} if sort != "due" else {})}  # each page keeps these

    def page_url(number: int) -> str:
        return url_for(".caseload", **(kept | {"page": number} if number > 1 else kept))

    pagination = govuk_pagination(page, pages, page_url)
    return render_template(
        "referrals/caseload.html", title="Your team’s referrals", rows=shown, total=len(rows), page=page,
        pages=pages, pagination=pagination, status=status, overdue=overdue,
        mine=mine, reference=reference, sort=sort, sorts=caseload_ops.SORTS, filters=filters,
        statuses=list(ReferralStatus),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("referral.create")
def new() -> Any:
    service = db.session.get(Service, request.args.get("service", ""))
    if service is None or not ops.can_refer_to(service):
        abort(404)
    if service.capacity_status is CapacityStatus.FULL:
        return render_template("referrals/service_full.html", title=f"{service.name} is full",
                               service=service, similar=ops.similar_services(service))
    form = _details_form()
    if form.validate_on_submit():
        earlier = submissions.claim(form.submission_token.data)
        if earlier is not None:  # the same form sent twice: the first one made the draft
            return redirect(earlier or url_for(".caseload"))
        with transaction(*REFUSED) as done:
            referral = ops.create_draft(service, current_user, form.details())
            next_page = url_for(".consent", referral_id=referral.id)
            submissions.record_result(form.submission_token.data, next_page)
        if _refused(done):
            return redirect(url_for(".new", service=service.id))
        return redirect(next_page)
    return render_template("referrals/details.html", title=f"Refer someone to {service.name}", form=form,
                           service=service, action=url_for(".new", service=service.id))


def _draft(referral_id: str) -> Referral | Any:
    referral = _load(referral_id, "referral.create")
    if referral.status is not ReferralStatus.DRAFT:
        flash("This referral has already been sent, so it cannot be changed.", "error")
        return redirect(url_for(".timeline", referral_id=referral.id))
    return referral


@bp.route("/<referral_id>/details", methods=["GET", "POST"])
@requires("referral.create")
def details(referral_id: str) -> Any:
    referral = _draft(referral_id)
    if not isinstance(referral, Referral):
        return referral
    form = _details_form()
    if form.validate_on_submit():
        with transaction(*REFUSED) as done:
            ops.update_draft(referral, current_user, form.details(), expected_version=form.version())
        if _refused(done):
            return redirect(url_for(".details", referral_id=referral_id))
        return redirect(url_for(".consent", referral_id=referral.id))
    if request.method == "GET":
        form.fill_from(referral)
        with transaction():
            ops.record_personal_data_view(referral, current_user, "details")
    return render_template("referrals/details.html", title=f"Refer someone to {referral.service.name}", form=form,
                           service=referral.service, action=url_for(".details", referral_id=referral.id))


@bp.route("/<referral_id>/consent", methods=["GET", "POST"])
@requires("referral.create")
def consent(referral_id: str) -> Any:
    referral = _draft(referral_id)
    if not isinstance(referral, Referral):
        return referral
    form = ConsentForm()
    if form.validate_on_submit():
        with transaction(*REFUSED) as done:
            ops.record_consent(referral, current_user, expected_version=form.version(),
                               share_wellbeing=bool(form.share_wellbeing.data))
        if _refused(done):
            return redirect(url_for(".consent", referral_id=referral_id))
        return redirect(url_for(".check", referral_id=referral.id))
    if request.method == "GET":
        form.expected_version.data = str(referral.version)
        with transaction():
            ops.record_personal_data_view(referral, current_user, "consent")
    return render_template("referrals/consent.html", title="Does the person agree to share their details?",
                           form=form, referral=referral, wording=ops.consent_wording(referral),
                           wellbeing_extra=ops.WELLBEING_SHARED.format(
                               organisation=referral.service.organization.name).strip(),
                           need_names=_need_names())


@bp.route("/<referral_id>/cannot-send")
@requires("referral.create")
def cannot_send(referral_id: str) -> Any:
    referral = _load(referral_id, "referral.create")
    return render_template("referrals/cannot_send.html", title="You cannot send this referral", referral=referral)


@bp.route("/<referral_id>/wellbeing", methods=["GET", "POST"])
@requires("referral.create")
def wellbeing(referral_id: str) -> Any:
    referral = _draft(referral_id)
    if not isinstance(referral, Referral):
        return referral
    form = WellbeingForm()
    if form.validate_on_submit():
        scores = form.scores_or_errors()
        if scores is not None:
            with transaction():
                ops.record_scores(referral, current_user, "ons4", "referral", scores)
            flash("Wellbeing scores saved", "success")
            return redirect(url_for(".check", referral_id=referral.id))
    elif request.method == "GET":
        saved = ops.scores_at(referral, "ons4", "referral")
        for code, value in (saved.items if saved else {}).items():
            getattr(form, code).data = str(value)
        with transaction():
            ops.record_personal_data_view(referral, current_user, "wellbeing")  # recorded scores are health data
    return render_template("referrals/wellbeing.html", title="Wellbeing at referral (optional)", form=form,
                           referral=referral, action=url_for(".wellbeing", referral_id=referral.id),
                           back=url_for(".check", referral_id=referral.id))


@bp.route("/<referral_id>/check")
@requires("referral.create")
def check(referral_id: str) -> Any:
    referral = _draft(referral_id)
    if not isinstance(referral, Referral):
        return referral
    if referral.consent_given_at is None:
        return redirect(url_for(".consent", referral_id=referral.id))
    with transaction():
        ops.record_personal_data_view(referral, current_user, "check")
    form = SendForm(expected_version=str(referral.version),
                    waiting_list_seen="yes" if referral.service.capacity_status is CapacityStatus.WAITING_LIST else "")
    return render_template("referrals/check.html", title="Check the referral before you send it", referral=referral,
                           send_form=form, need_names=_need_names(),
                           scores=ops.scores_at(referral, "ons4", "referral"))


@bp.route("/<referral_id>/send", methods=["POST"])
@requires("referral.create")
def send(referral_id: str) -> Any:
    referral = _draft(referral_id)
    if not isinstance(referral, Referral):
        return referral
    form = SendForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction(*REFUSED) as done:
        ops.send(referral, current_user, expected_version=form.version(),
                 waiting_list_seen=form.waiting_list_seen.data == "yes")
    if done.refused_by(ops.NoConsent):
        return redirect(url_for(".cannot_send", referral_id=referral_id))
    if isinstance(full := done.error, ops.ServiceFull):
        return render_template("referrals/service_full.html", title=f"{full.service.name} is full",
                               service=full.service, similar=full.similar)
    if _refused(done):
        return redirect(url_for(".check", referral_id=referral_id))
    # Redirect after sending: refreshing the confirmation must not post the form again.
    return redirect(url_for(".sent", referral_id=referral_id))


@bp.route("/<referral_id>/sent")
@requires("referral.create")
def sent(referral_id: str) -> Any:
    referral = _load(referral_id, "referral.create")
    if referral.status is ReferralStatus.DRAFT:
        return redirect(url_for(".check", referral_id=referral.id))
    return render_template("referrals/sent.html", title="Referral sent", referral=referral)


@bp.route("/<referral_id>")
@requires("referral.create")
def timeline(referral_id: str) -> Any:
    referral = _load(referral_id, "referral.create")
    with transaction():
        ops.record_personal_data_view(referral, current_user, "timeline")
    return render_template(
        "referrals/timeline.html", title=f"Referral {referral.reference}", referral=referral,
        need_names=_need_names(),
        can_withdraw=referral.status is not ReferralStatus.DRAFT
        and "withdraw" in ops.available_actions(referral, current_user),
        others=caseload_ops.other_referrals_for_person(referral),
        actions=ops.available_actions(referral, current_user),
        baseline=ops.scores_at(referral, "ons4", "referral"),
        follow_up_scores=ops.scores_at(referral, "ons4", "follow_up"),
        follow_up_scales=ops.follow_up_scales(referral),
        follow_up_form=FollowUpDateForm(expected_version=str(referral.version),
                                        follow_up_on=referral.follow_up_on),
        can_follow_up=referral.status in ops.FOLLOW_UP_STATUSES and not referral.erased_at,
        next_action=caseload_ops.next_action(referral),
        withdraw_form=VersionedForm(expected_version=str(referral.version)), is_overdue=ops.is_overdue(referral),
        change=ops.wellbeing_change(referral), note_form=NoteForm(),
        note_action=url_for(".note", referral_id=referral.id),
    )


def _add_note(referral: Referral, back: str) -> Any:
    form = NoteForm()
    if not form.validate_on_submit():
        flash(next(iter(form.message.errors), "Enter a note"), "error")
        return redirect(back)
    if submissions.claim(form.submission_token.data) is not None:  # sent twice: the note is there once
        return redirect(back)
    with transaction(*REFUSED) as done:
        ops.add_note(referral, current_user, form.message.data or "")
    if not _refused(done):
        flash("Note added", "success")
    return redirect(back)


@bp.route("/<referral_id>/note", methods=["POST"])
@requires("referral.create")
def note(referral_id: str) -> Any:
    referral = _load(referral_id, "referral.create")
    return _add_note(referral, url_for(".timeline", referral_id=referral.id))


@bp.route("/<referral_id>/gp-summary")
@requires("referral.create")
def gp_summary(referral_id: str) -> Any:
    referral = _load(referral_id, "referral.create")
    with transaction():
        ops.record_personal_data_view(referral, current_user, "gp_summary")
    return render_template("referrals/gp_summary.html", title="Summary for the GP record", referral=referral,
                           summary=ops.gp_record_summary(referral),
                           codes_configured=bool(current_app.config.get("GP_RECORD_CODES")))


def _shortlisted_services() -> tuple[list[Service], list[Service]]:
    """Return (services on the visitor's shortlist that can take a referral now, those that cannot)."""
    visible = shortlist.visible_services(shortlist.ids(), utcnow(), int(current_app.config["STALE_HIDE_DAYS"]))
    open_ = [s for s in visible if ops.can_refer_to(s) and s.capacity_status is not CapacityStatus.FULL]
    return open_, [s for s in visible if s not in open_]


@bp.route("/from-shortlist", methods=["GET", "POST"])
@requires("referral.create")
def from_shortlist() -> Any:
    services, cannot = _shortlisted_services()
    form = FromShortlistForm(needs=[(code, name) for code, name in _need_names().items()],
                             services=[(s.id, s.name) for s in services])
    if request.method == "GET":
        form.services.data = [s.id for s in services]
    if services and form.validate_on_submit():
        chosen = [s for s in services if s.id in (form.services.data or [])]
        if submissions.claim(form.submission_token.data) is not None:  # sent twice: the drafts exist once
            return redirect(url_for(".caseload", status=ReferralStatus.DRAFT.value))
        with transaction(*REFUSED) as done:
            drafts = ops.create_drafts(chosen, current_user, form.details())
        if _refused(done):
            return redirect(url_for(".from_shortlist"))
        flash(f"{len(drafts)} draft referral{'' if len(drafts) == 1 else 's'} started. Check and send each one.",
              "success")
        return redirect(url_for(".caseload", status=ReferralStatus.DRAFT.value))
    return render_template("referrals/from_shortlist.html", title="Refer someone to the services on your shortlist",
                           form=form, services=services, cannot=cannot)


@bp.route("/<referral_id>/delete", methods=["GET", "POST"])
@requires("referral.create")
def delete_draft(referral_id: str) -> Any:
    """Delete a draft (it was never sent): a confirmation page, then the delete."""
    referral = _load(referral_id, "referral.create")
    if referral.status is not ReferralStatus.DRAFT:
        flash("This referral has been sent, so it cannot be deleted. You can withdraw it instead.", "error")
        return redirect(url_for(".timeline", referral_id=referral.id))
    form = VersionedForm(expected_version=str(referral.version))
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with transaction(*REFUSED) as done:
            reference = ops.delete_draft(referral, current_user, expected_version=form.version())
        if _refused(done):
            return redirect(url_for(".timeline", referral_id=referral_id))
        flash(f"Draft referral {reference} deleted", "success")
        return redirect(url_for(".caseload"))
    return render_template("referrals/delete_draft.html", title="Delete this draft referral", referral=referral,
                           form=form)


def _close_with_outcome(item: Referral, action: str, form: Any, title: str, lead: str, done_message: str,
                        back: str, done: str) -> Any:
    """Close a referral through ``action`` with the outcome and note the form asks for (either side may)."""
    if form.validate_on_submit():
        with transaction(*REFUSED) as outcome:
            ops.transition(item, action, actor=current_user, note=form.note.data,
                           outcome=CloseOutcome(form.outcome.data), expected_version=form.version())
        if _refused(outcome):
            return redirect(back)
        flash(done_message, "success")
        return redirect(done)
    if request.method == "GET":
        form.expected_version.data = str(item.version)
    return render_template("referrals/close_with_outcome.html", title=title, lead=lead, form=form, referral=item,
                           back=back, action=request.path)


def _did_not_start(item: Referral, back: str, done: str) -> Any:
    """Either side records that the person never started; that closes the referral with the reason."""
    return _close_with_outcome(item, "did_not_start", DidNotStartForm(), "The person did not start",
                               "This closes the referral with the reason you give. The other side is told.",
                               f"Referral {item.reference} closed: the person did not start", back, done)


@bp.route("/<referral_id>/did-not-start", methods=["GET", "POST"])
@requires("referral.create")
def did_not_start(referral_id: str) -> Any:
    referral = _load(referral_id, "referral.create")
    back = url_for(".timeline", referral_id=referral.id)
    return _did_not_start(referral, back, back)


@bp.route("/<referral_id>/close", methods=["GET", "POST"])
@requires("referral.create")
def team_close(referral_id: str) -> Any:
    """The link worker closes a referral (either side may)."""
    referral = _load(referral_id, "referral.create")
    back = url_for(".timeline", referral_id=referral.id)
    return _close_with_outcome(referral, "close", TeamCloseForm(), "Close this referral",
                               f"{referral.organization.name} will be told that you closed it.",
                               f"Referral {referral.reference} closed", back, back)


@bp.route("/<referral_id>/follow-up-date", methods=["POST"])
@requires("referral.create")
def follow_up_date(referral_id: str) -> Any:
    referral = _load(referral_id, "referral.create")
    back = url_for(".timeline", referral_id=referral.id)
    form = FollowUpDateForm()
    when = form.follow_up_on.data if form.validate_on_submit() else None
    if when is None:
        flash(next(iter(form.follow_up_on.errors), "Enter the follow-up date"), "error")
        return redirect(back)
    with transaction(*REFUSED) as done:
        ops.set_follow_up(referral, current_user, when, expected_version=form.version())
    if _refused(done):
        return redirect(back)
    flash(f"Follow-up set for {wording.format_date(when)}", "success")
    return redirect(back)


@bp.route("/<referral_id>/follow-up", methods=["GET", "POST"])
@requires("referral.create")
def follow_up(referral_id: str) -> Any:
    """The link worker records the follow-up wellbeing scores: ONS4 or any scale in OUTCOME_SCALES (``?scale=``)."""
    referral = _load(referral_id, "referral.create")
    back = url_for(".timeline", referral_id=referral.id)
    if referral.status not in ops.FOLLOW_UP_STATUSES or referral.erased_at is not None:
        flash("Follow-up scores can be recorded once the provider has accepted the referral.", "error")
        return redirect(back)
    offered = outcomes.scales()
    scale = offered.get(request.args.get("scale") or ONS4.code)
    if scale is None:
        abort(404)
    form = scale_form(scale)
    if form.validate_on_submit():
        scores = form.scores_or_errors()
        if scores is not None:
            with transaction():
                ops.record_scores(referral, current_user, scale.code, "follow_up", scores)
            flash(f"Follow-up wellbeing scores saved ({scale.name})", "success")
            return redirect(back)
    elif request.method == "GET":
        saved = ops.scores_at(referral, scale.code, "follow_up")
        if saved is not None:
            for code, value in saved.items.items():
                if code in form:
                    form[code].data = str(value)
            with transaction():  # recorded scores are health data: reading them is recorded
                ops.record_personal_data_view(referral, current_user, "follow_up")
    return render_template("referrals/wellbeing.html", title=f"Wellbeing at follow-up: {scale.name}", form=form,
                           referral=referral, back=back, heading="Wellbeing at follow-up", scale=scale,
                           action=url_for(".follow_up", referral_id=referral.id, scale=scale.code),
                           scales=list(offered.values()))


@bp.route("/<referral_id>/withdraw", methods=["POST"])
@requires("referral.create")
def withdraw(referral_id: str) -> Any:
    referral = _load(referral_id, "referral.create")
    form = VersionedForm()  # no note: the withdrawal erases every note anyway
    if not form.validate_on_submit():
        abort(400)
    with transaction(*REFUSED) as done:
        ops.withdraw_for_person(referral, current_user, expected_version=form.version())
    if not _refused(done):
        flash(f"Referral {referral.reference} withdrawn and the person’s details deleted", "success")
    return redirect(url_for(".timeline", referral_id=referral_id))


# ---- providers ---------------------------------------------------------------------------------------------------

@inbox.route("/")
@requires("referral.respond")
def index() -> Any:
    rows = ops.organisation_inbox(current_user)
    if rows:
        with transaction():
            audit.record("referral.view_personal_data", "inbox", None, page="inbox", referral_ids=[r.id for r in rows])
    return render_template("referrals/inbox.html", title="Referrals to your organisation", referrals=rows,
                           is_overdue=ops.is_overdue)


@inbox.route("/<referral_id>")
@requires("referral.respond")
def referral(referral_id: str) -> Any:
    item = _load(referral_id, "referral.respond")
    with transaction():
        ops.record_personal_data_view(item, current_user, "inbox")
    actions = ops.available_actions(item, current_user)
    return render_template(
        "referrals/inbox_referral.html", title=f"Referral {item.reference}", referral=item, actions=actions,
        buttons={a: PROVIDER_BUTTONS[a] for a in actions if a in PROVIDER_BUTTONS}, need_names=_need_names(),
        change=ops.wellbeing_change(item) if ops.wellbeing_shared_with_provider(item) else [],
        wellbeing_shared=ops.wellbeing_shared_with_provider(item), note_form=NoteForm(),
        note_action=url_for(".note", referral_id=item.id),
    )


@inbox.route("/<referral_id>/note", methods=["POST"], endpoint="note")
@requires("referral.respond")
def provider_note(referral_id: str) -> Any:
    item = _load(referral_id, "referral.respond")
    return _add_note(item, url_for(".referral", referral_id=item.id))


@inbox.route("/<referral_id>/act/<action>", methods=["POST"])
@requires("referral.respond")
def act(referral_id: str, action: str) -> Any:
    item = _load(referral_id, "referral.respond")
    if action not in PROVIDER_BUTTONS:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction(*REFUSED) as done:
        ops.transition(item, action, actor=current_user, note=form.note.data, expected_version=form.version())
    if not _refused(done):
        flash(f"Referral {item.reference}: {ops.ACTION_LABELS[action].lower()}", "success")
    return redirect(url_for(".referral", referral_id=referral_id))


@inbox.route("/<referral_id>/decline", methods=["GET", "POST"])
@requires("referral.respond")
def decline(referral_id: str) -> Any:
    item = _load(referral_id, "referral.respond")
    form = DeclineForm()
    if form.validate_on_submit():
        with transaction(*REFUSED) as done:
            ops.transition(item, "decline", actor=current_user, note=form.note.data,
                           reason=DeclineReason(form.reason.data), expected_version=form.version())
        if _refused(done):
            return redirect(url_for(".referral", referral_id=referral_id))
        flash(f"Referral {item.reference} declined. We have let the link worker know.", "success")
        return redirect(url_for(".index"))
    if request.method == "GET":
        form.expected_version.data = str(item.version)
    return render_template("referrals/decline.html", title="Decline this referral", form=form, referral=item)


@inbox.route("/<referral_id>/did-not-start", methods=["GET", "POST"], endpoint="did_not_start")
@requires("referral.respond")
def provider_did_not_start(referral_id: str) -> Any:
    item = _load(referral_id, "referral.respond")
    back = url_for(".referral", referral_id=item.id)
    return _did_not_start(item, back, back)


@inbox.route("/<referral_id>/close", methods=["GET", "POST"])
@requires("referral.respond")
def close(referral_id: str) -> Any:
    item = _load(referral_id, "referral.respond")
    form = CloseForm()
    if form.validate_on_submit():
        scores = form.scores_or_errors() if form.any_answered() else {}
        if scores is not None:
            with transaction(*REFUSED) as done:
                ops.transition(item, "close", actor=current_user, note=form.note.data,
                               outcome=CloseOutcome(form.outcome.data), expected_version=form.version())
                if scores:
                    ops.record_scores(item, current_user, "ons4", "close", scores)
            if _refused(done):
                return redirect(url_for(".referral", referral_id=referral_id))
            flash(f"Referral {item.reference} closed", "success")
            return redirect(url_for(".referral", referral_id=referral_id))
    elif request.method == "GET":
        form.expected_version.data = str(item.version)
    return render_template("referrals/close.html", title="Close this referral", form=form, referral=item)


# ---- the person: their consent receipt and withdrawing -------------------------------------------------------

def _withdraw_rate() -> str:
    return current_app.config["REFERRAL_WITHDRAW_RATE_LIMIT"]


@receipt.route("/", methods=["GET", "POST"])
@public
@limiter.limit(_withdraw_rate, methods=["POST"])
def start() -> Any:
    form = FindMyReferralForm()
    not_found = False
    if form.validate_on_submit():
        found = ops.find_for_person(form.reference.data or "", date_of_birth=form.date_of_birth.data,
                                    phone_last4=form.phone_last4.data, email=form.email.data)
        if found is not None:
            from ..signed_links import make_link_token

            return redirect(url_for(".confirm", token=make_link_token(LinkPurpose.REFERRAL_RECEIPT, {"r": found.id})))
        # One message whatever did not match, so the page cannot be used to learn whether a reference exists.
        form.reference.errors = [*form.reference.errors,
                                 "We could not find a referral with that reference number and detail. Check them and try again"]
        not_found = True
    return render_template("referrals/receipt_start.html", title="Change your mind about a referral", form=form,
                           not_found=not_found)


def _referral_from_token(token: str) -> Referral | None:
    try:
        payload = read_link_token(LinkPurpose.REFERRAL_RECEIPT, token,
                                  int(current_app.config["REFERRAL_RECEIPT_LINK_MAX_AGE"]))
    except LinkInvalid:  # LinkExpired too
        return None
    return db.session.get(Referral, str(payload.get("r", "")))


@receipt.route("/withdraw/<token>", methods=["GET", "POST"])
@public
def confirm(token: str) -> Any:
    referral = _referral_from_token(token)
    if referral is None:
        return render_template("referrals/receipt_link_invalid.html", title="This link does not work"), 404
    if referral.erased_at is not None:
        return redirect(url_for(".done", outcome="nothing"))
    form = ConfirmWithdrawForm()
    if form.validate_on_submit():
        with transaction(*REFUSED) as done:
            outcome = ops.withdraw_by_person(referral)
        if _refused(done):
            return redirect(url_for(".confirm", token=token))
        return redirect(url_for(".done", outcome=outcome))
    return render_template("referrals/receipt_confirm.html", title="Withdraw your referral", form=form,
                           referral=referral, token=token,
                           still_open="withdraw" in ops.available_actions(referral, ops.PERSON))


@receipt.route("/withdrawn")
@public
def done() -> Any:
    outcome = request.args.get("outcome", "withdrawn")
    return render_template("referrals/receipt_done.html", title="Your details have been deleted",
                           outcome=outcome if outcome in ("withdrawn", "erased", "nothing") else "withdrawn")


# ---- admins: a referral only under an audited reason; subject access --------------------------------------------

@admin.route("/")
@requires("referral.admin")
def find() -> Any:
    reference = (request.args.get("reference") or "").strip()
    not_found = False
    if reference:
        found = db.session.scalar(db.select(Referral).where(Referral.reference == ops.normalise_reference(reference)))
        if found is not None:
            return redirect(url_for(".access", referral_id=found.id))
        not_found = True
    return render_template("referrals/admin_find.html", title="Referrals", reference=reference, not_found=not_found)


# An admin's grant lasts for this browser session only: it is kept here, in the session, never in the domain.
ADMIN_GRANTS_SESSION_KEY = "referral_admin_access"


def _keep_admin_grant(grant: ops.AdminGrant) -> None:
    """Remember the grant in this browser session, dropping any that have run out."""
    now = utcnow().isoformat()
    grants = {key: value for key, value in dict(session.get(ADMIN_GRANTS_SESSION_KEY) or {}).items()
              if isinstance(value, list) and len(value) == 2 and value[1] > now}
    grants[grant.referral_id] = [grant.admin_id, grant.expires.isoformat()]
    session[ADMIN_GRANTS_SESSION_KEY] = grants


def _admin_grant_for(referral_id: str) -> ops.AdminGrant | None:
    """Return the grant this browser session holds for the referral, if any (``can`` checks who and how long)."""
    kept = (session.get(ADMIN_GRANTS_SESSION_KEY) or {}).get(referral_id)
    if not isinstance(kept, list) or len(kept) != 2:
        return None
    try:
        return ops.AdminGrant(referral_id=referral_id, admin_id=int(kept[0]), expires=datetime.fromisoformat(kept[1]))
    except (TypeError, ValueError):
        return None


def _admin_load(referral_id: str) -> Referral:
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    return referral


@admin.route("/<referral_id>/access", methods=["GET", "POST"])
@requires("referral.admin")
def access(referral_id: str) -> Any:
    referral = _admin_load(referral_id)
    form = AdminReasonForm()
    if form.validate_on_submit():
        with transaction():
            grant = ops.grant_admin_access(referral, current_user, form.reason.data or "")
        _keep_admin_grant(grant)
        return redirect(url_for(".view", referral_id=referral.id))
    return render_template("referrals/admin_access.html", title="Why do you need to see this referral?", form=form,
                           referral=referral, minutes=current_app.config["REFERRAL_ADMIN_ACCESS_MINUTES"])


@admin.route("/<referral_id>")
@requires("referral.admin")
def view(referral_id: str) -> Any:
    referral = _admin_load(referral_id)
    if not can(current_user, "referral.view", referral, grant=_admin_grant_for(referral.id)):
        return redirect(url_for(".access", referral_id=referral.id))
    with transaction():
        ops.record_personal_data_view(referral, current_user, "admin")
    return render_template("referrals/admin_referral.html", title=f"Referral {referral.reference}", referral=referral,
                           need_names=_need_names(), change=ops.wellbeing_change(referral))


@admin.route("/subject-access", methods=["GET", "POST"])
@requires("referral.admin")
def subject_access() -> Any:
    form = SubjectAccessForm()
    if form.validate_on_submit():
        how = "reference" if form.reference.data else "name and date of birth"
        found = ops.find_for_subject_access(reference=form.reference.data, name=form.person_name.data,
                                            date_of_birth=form.date_of_birth.data)
        fmt = "json" if request.form.get("format") == "json" else "page"
        with transaction():
            export = ops.export_subject_access(found, current_user, form.reason.data or "", how=how, fmt=fmt)
        if fmt == "json":
            return Response(json.dumps(export, indent=2, ensure_ascii=False), mimetype="application/json",
                            headers={"Content-Disposition": "attachment; filename=subject-access.json",
                                     "Cache-Control": "no-store"})
        names = _need_names()
        return render_template("referrals/subject_access_result.html", title="What we hold about this person",
                               export=export, form=form, exported_on=sar_words.exported_on(export["exported"]),
                               records=[sar_words.printable(record, names) for record in export["referrals"]])
    return render_template("referrals/subject_access.html", title="Subject access: export what we hold", form=form)
