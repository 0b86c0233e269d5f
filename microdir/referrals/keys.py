"""Key rotation for encrypted referral fields, at the SQL level so rows keep their version and nothing else changes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..crypto import encrypted_columns, encrypted_under_primary, rotate_token
from ..extensions import db
from ..models import Referral, ReferralEvent, User

TABLES: tuple[Any, ...] = (Referral.__table__, ReferralEvent.__table__)
# Staff two-factor secrets use the same keys; `flask referrals rotate-keys` re-encrypts them too.
ACCOUNT_TABLES: tuple[Any, ...] = (User.__table__,)


def raw_view(table: Any) -> tuple[Any, list[str]]:
    """Return a plain-typed view of ``table`` (id + encrypted columns as Text), so tokens are read and written as is."""
    names = [c.name for c in encrypted_columns(table)]
    return sa.table(table.name, sa.column("id", table.c.id.type), *[sa.column(n, sa.Text()) for n in names]), names


def _stale(token: str | None) -> bool:
    return token is not None and not encrypted_under_primary(token)


def rotate_all(tables: tuple[Any, ...] = TABLES) -> int:
    """Re-encrypt every stored token under the first key; return how many values changed. Idempotent."""
    changed = 0
    for table in tables:
        view, names = raw_view(table)
        for row in db.session.execute(sa.select(view).order_by(view.c.id)).all():
            values = {name: rotate_token(getattr(row, name)) for name in names if _stale(getattr(row, name))}
            if values:
                db.session.execute(sa.update(view).where(view.c.id == row.id).values(**values))
                changed += len(values)
    return changed


def count_old_values(tables: tuple[Any, ...] = TABLES) -> int:
    """Return how many stored values are not yet under the first key."""
    left = 0
    for table in tables:
        view, names = raw_view(table)
        for row in db.session.execute(sa.select(view)).all():
            left += sum(1 for name in names if _stale(getattr(row, name)))
    return left
