"""Foundation routes in the role x route matrix."""

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
]
