"""The page a stale-listing reminder links to: the provider confirms "still right" without a password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for

from ..domain import upkeep
from ..domain.upkeep import ConfirmLinkError, ConfirmLinkExpired, ConfirmLinkUsed
from ..models import CapacityStatus
from ..permissions import public
from ..transactions import transaction
from ..wording import CAPACITY_LABELS, format_date
from .forms import ConfirmListingForm

bp = Blueprint("upkeep", __name__, url_prefix="/listing-check")


def _cannot_use(error: ConfirmLinkError) -> Any:
    status = 410 if isinstance(error, (ConfirmLinkExpired, ConfirmLinkUsed)) else 404
    return render_template("moderation/confirm_unusable.html", title=str(error), error=error,
                           used=isinstance(error, ConfirmLinkUsed), expired=isinstance(error, ConfirmLinkExpired)), status


@bp.route("/<token>", methods=["GET", "POST"])
@public
def confirm(token: str) -> Any:
    try:
        reminder = upkeep.reminder_from_token(token)
    except ConfirmLinkError as error:
        return _cannot_use(error)
    service = reminder.service
    form = ConfirmListingForm()
    if not form.is_submitted():
        form.capacity_status.data = service.capacity_status.value
        form.capacity_places.data = "" if service.capacity_places is None else str(service.capacity_places)
    elif form.validate():
        with transaction(ConfirmLinkError) as done:
            upkeep.confirm_still_right(reminder, CapacityStatus(form.capacity_status.data), form.capacity_places.number)
        if isinstance(done.error, ConfirmLinkError):
            return _cannot_use(done.error)
        return render_template("moderation/confirmed.html", title="Thank you: your listing is confirmed",
                               service=service, capacity=CAPACITY_LABELS[service.capacity_status])
    return render_template(
        "moderation/confirm.html", title=f"Is {service.name} still right?", service=service, form=form,
        edit_url=url_for("providers.edit", service_id=service.id),
        since=format_date(upkeep.last_confirmed_at(service)),
    )
