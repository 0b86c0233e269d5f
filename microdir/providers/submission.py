"""The "send for review" button, wherever it is: "Your listings" and the registration task list share this view."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect
from flask_login import current_user

from ..domain import registration
from ..domain.listing_edits import EditConflict, EditError
from ..models import Service
from ..transactions import CHANGED_MEANWHILE, transaction
from .forms import VersionForm


def submit_for_review(service: Service, *, done: str, changed: str, refused: str, announce: bool) -> Any:
    """Send ``service`` to moderators, commit, and redirect to ``done``; on a refusal say why and go back.

    The one operation behind both buttons (``registration.submit_listing``): a draft goes to moderators only with
    its required tasks done, and a listing changed meanwhile (its version moved) is refused.

    :param changed: where to go when someone else changed the listing meanwhile.
    :param refused: where to go when a rule refuses it (tasks not done, not a draft or published listing).
    :param announce: flash "sent for review" (the task list has a page of its own for that instead).
    """
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    me = current_user._get_current_object()  # type: ignore[attr-defined]
    with transaction(registration.RegistrationError, EditError, messages={EditConflict: CHANGED_MEANWHILE}) as outcome:
        registration.submit_listing(service, me, expected_version=form.expected_version(),
                                    expected_fingerprint=form.fingerprint.data or None)
    if outcome.refused:
        flash(outcome.message, "error")
        return redirect(changed if outcome.refused_by(EditConflict) else refused)
    if announce:
        flash(f"{service.name} has been sent for review. A moderator will check it before it is published.", "success")
    return redirect(done)
