"""The review page's decision forms: each carries what the moderator saw, so a decision on a listing whose fields
moved on meanwhile is refused (``moderation.listing_seen``)."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm, submit_button


class DecisionForm(BaseForm):
    seen = HiddenField()  # moderation.listing_seen when the page was shown


class RejectForm(DecisionForm):
    reason = TextAreaField(
        "Why are you rejecting this change?", widget=GovTextArea(),
        validators=[DataRequired("Enter the reason you are rejecting this change"),
                    Length(max=2000, message="Reason must be 2,000 characters or fewer")],
    )
    submit = submit_button("Reject change")
