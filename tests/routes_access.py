"""Foundation routes in the role x route matrix."""

from microdir.models import Role
from tests.access import EVERYONE, SIGNED_IN, Route

ROUTES = [
    Route("public.home", "/", EVERYONE),
    Route("public.accessibility", "/accessibility", EVERYONE),
    Route("public.cookies", "/cookies", EVERYONE),
    Route("public.privacy", "/privacy", EVERYONE),
    Route("public.data_credits", "/data-credits", EVERYONE),
    Route("public.healthz", "/healthz", EVERYONE),
    Route("static", "/static/build/microdir.css", EVERYONE),
    Route("govuk_assets", "/assets/images/favicon.svg", EVERYONE),
    Route("auth.sign_in", "/sign-in", EVERYONE),
    Route("auth.sign_out", "/sign-out", EVERYONE),
    Route("auth.forgot_password", "/forgot-password", EVERYONE),
    Route("auth.reset_password", "/reset-password/not-a-token", EVERYONE, ok_statuses=frozenset({400})),
    Route("account.home", "/account/", SIGNED_IN),
    # Without a password step first, the code step sends everyone back to sign in (or on, if signed in).
    Route("auth.sign_in_code", "/sign-in/code", EVERYONE, ok_statuses=frozenset({302})),
    Route("account.two_factor_settings", "/account/two-factor", SIGNED_IN),
    Route("account.two_factor_setup", "/account/two-factor/set-up", SIGNED_IN),
    Route("account.two_factor_recovery_codes", "/account/two-factor/recovery-codes", SIGNED_IN, method="POST"),
    # Required for staff: only providers may turn it off.
    Route("account.two_factor_turn_off", "/account/two-factor/turn-off", frozenset({Role.PROVIDER}), method="POST"),
]
