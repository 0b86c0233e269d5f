from microdir.models import Role
from tests.access import Route

ADMIN = frozenset({Role.ADMIN})

ROUTES = [
    Route("admin.home", "/admin/", ADMIN),
    Route("admin.users", "/admin/users", ADMIN),
    Route("admin.invite_user", "/admin/users/new", ADMIN),
    # An unknown account: admins get 404 (allowed through the guard), everyone else is refused first.
    Route("admin.toggle_active", "/admin/users/999999/active", ADMIN, method="POST", ok_statuses=frozenset({404})),
    Route("admin.change_role", "/admin/users/999999/role", ADMIN, ok_statuses=frozenset({404})),
    Route("admin.teams", "/admin/teams", ADMIN),
    Route("admin.audit_log", "/admin/audit", ADMIN),
    Route("admin.reset_two_factor", "/admin/users/999999/two-factor/reset", ADMIN, method="POST",
          ok_statuses=frozenset({404})),
]
