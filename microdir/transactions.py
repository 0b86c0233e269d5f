"""One transaction path for views: the request owns the transaction; domain operations flush and never commit.

    with transaction(EditError, messages={EditConflict: CHANGED_MEANWHILE}) as outcome:
        revisions.save_edit(...)
    if outcome.refused:
        flash(outcome.message, "error")
        return redirect(...)

The block's writes are committed when it ends normally. When it raises one of the errors the view names (a
domain rule refusing the request, or someone else's change meanwhile), everything is rolled back and the error is
kept with its message for the person; any other exception rolls back and propagates to the error pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from .extensions import db

CHANGED_MEANWHILE = "This listing was changed by someone else while you were looking at it. Check it and send it again."


@dataclass
class Outcome:
    """What became of a transaction: committed, or refused with the error and the message to show."""

    error: Exception | None = None
    message: str = ""

    @property
    def refused(self) -> bool:
        return self.error is not None

    def refused_by(self, kind: type[Exception]) -> bool:
        """Return True when the transaction was refused by an error of ``kind``."""
        return isinstance(self.error, kind)


@contextmanager
def transaction(
    *refused: type[Exception], messages: Mapping[type[Exception], str] | None = None
) -> Iterator[Outcome]:
    """Commit what the block writes; roll back on any error, keeping those of ``refused`` (and ``messages``' kinds).

    :param refused: error types that refuse the request with their own text as the message.
    :param messages: error types with a fixed message instead (checked first, so a subclass such as a conflict
        can say something more useful than its parent).
    """
    messages = messages or {}
    outcome = Outcome()
    try:
        yield outcome
    except (*messages, *refused) as error:
        db.session.rollback()
        outcome.error = error
        outcome.message = next((text for kind, text in messages.items() if isinstance(error, kind)), str(error))
        return
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
