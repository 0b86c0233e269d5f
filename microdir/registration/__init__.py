"""Provider registration with a verified email, the set-up task list, claims of listings, inviting colleagues."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages, and the helpers the listing pages use to offer a claim and list members."""
    from ..domain.claims import is_claimable
    from ..domain.registration import members, purge_old_verifications
    from ..jobs import register_job
    from .routes import bp

    app.register_blueprint(bp)
    app.add_template_global(is_claimable, "listing_is_claimable")
    app.add_template_global(members, "organisation_members")
    register_job("registration.purge_old_verifications", purge_old_verifications)
