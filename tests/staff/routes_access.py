"""Issue 15 routes outside the other areas: the development mail viewer (off in the test configuration: 404)."""

from tests.access import EVERYONE, Route

ROUTES = [
    Route("devmail.index", "/dev/mail/", EVERYONE, ok_statuses=frozenset({404})),
    Route("devmail.message", "/dev/mail/1", EVERYONE, ok_statuses=frozenset({404})),
]
