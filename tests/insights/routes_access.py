"""Insight routes in the role x route matrix: commissioners and admins only, every page, CSV and form."""

from microdir.models import Role
from tests.access import Route

INSIGHT = frozenset({Role.COMMISSIONER, Role.ADMIN})
PAGES = ("unmet-need", "coverage", "funnel", "timeliness", "outcomes", "providers")

ROUTES = [
    Route("insights.overview", "/insights/", INSIGHT),
    *(Route("insights.page", f"/insights/{slug}", INSIGHT) for slug in PAGES),
    Route("insights.page", "/insights/overview", INSIGHT),  # redirects to /insights/
    Route("insights.csv", "/insights/overview/weekly.csv", INSIGHT),
    Route("insights.csv", "/insights/unmet-need/gaps.csv", INSIGHT),
    Route("insights.csv", "/insights/coverage/directory-health.csv", INSIGHT),
    Route("insights.csv", "/insights/funnel/by-provider.csv", INSIGHT),
    Route("insights.csv", "/insights/timeliness/timeliness.csv", INSIGHT),
    Route("insights.csv", "/insights/outcomes/ons4-items.csv", INSIGHT),
    Route("insights.csv", "/insights/providers/providers.csv", INSIGHT),
    Route("insights.summary", "/insights/summary", INSIGHT),
    Route("insights.subscription", "/insights/subscription", INSIGHT),
    Route("insights.subscription", "/insights/subscription", INSIGHT, method="POST", data={"frequency": "weekly"}),
]
