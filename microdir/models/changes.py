"""The directory change log (an outbox), written in the same transaction as every directory change.

Each row names one service whose public form may have changed. Followers (every app node's search index,
and later any other derived copy) read rows after the last position they applied and re-read the service
from the database, so applying a row twice is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import Model, db
from .base import new_uuid, utcnow
from .directory import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from .providers import MicroProviderProfile, QualityCheck


class DirectoryChange(Model):
    __tablename__ = "directory_change"

    # The position in the log. INTEGER on SQLite so it is the rowid and strictly increasing.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    service_id: Mapped[str] = mapped_column(String(36), index=True)
    operation: Mapped[str] = mapped_column(String(10))  # "upsert" or "delete"; followers re-read either way


# The mark a bulk load leaves instead of one row per service: every follower rebuilds its index whole from here.
EVERY_SERVICE = "*"
REINDEX = "reindex"
_BULK_LOAD = "microdir.bulk_load"  # session.info key: inside bulk_load_marked(), no row per service


def record_change(
    service_id: str, operation: str = "upsert", at: datetime | None = None, session: Session | None = None
) -> DirectoryChange | None:
    """Append one change-log row: ``service_id``'s public form may have changed. The caller's commit keeps it.

    The only writer of the log: the flush listener below (every edit through the ORM), the importer (bulk inserts
    the listener cannot see) and the upkeep job (listings hidden by the clock alone, with no row changing).
    Inside ``bulk_load_marked()`` it writes nothing (returns None): the load's one "reindex" mark stands for all.
    """
    target: Any = session or db.session
    if target.info.get(_BULK_LOAD):
        return None
    row = DirectoryChange(service_id=service_id, operation=operation, at=at or utcnow())
    target.add(row)
    return row


@contextmanager
def bulk_load_marked(session: Session | None = None) -> Iterator[None]:
    """Write one "reindex" change-log row for everything done inside, instead of one row per service changed.

    For loading a big directory: 100,000 rows that each make every node re-read one listing would be slower than
    each node building its index whole, which is what a follower does when it meets this mark (search/indexer.py).
    The mark is added when the block ends without an error; the caller's commit keeps it with the load.
    """
    target: Any = session or db.session
    target.info[_BULK_LOAD] = True
    try:
        yield
    finally:
        target.info.pop(_BULK_LOAD, None)
    target.flush()
    record_change(EVERY_SERVICE, REINDEX, session=target)


def _services_of(obj: Any, session: Session) -> set[Service]:
    """Return the services whose public form depends on ``obj``."""
    if isinstance(obj, Service):
        return {obj}
    if isinstance(obj, (ServiceAtLocation, Schedule, ServiceArea, CostOption, Contact, Phone, Language)):
        found: set[Service] = {obj.service} if obj.service is not None else set()
        if isinstance(obj, (Phone, Language)) and obj.location is not None:
            found |= _services_of(obj.location, session)
        if isinstance(obj, Phone) and obj.contact is not None:
            found |= _services_of(obj.contact, session)
        return found
    if isinstance(obj, Location):
        return {sal.service for sal in obj.service_at_locations if sal.service is not None}
    if isinstance(obj, (Address, Accessibility)):
        return _services_of(obj.location, session) if obj.location is not None else set()
    if isinstance(obj, (Organization,)):
        return set(obj.services)
    if isinstance(obj, (MicroProviderProfile, QualityCheck)):
        return set(obj.organization.services) if obj.organization is not None else set()
    if isinstance(obj, Attribute):
        if obj.link_type == "service" and obj.link_id:
            service = session.get(Service, obj.link_id)
            return {service} if service is not None else set()
        return set()
    if isinstance(obj, TaxonomyTerm) and obj.id:
        ids = session.scalars(select(Attribute.link_id).where(Attribute.taxonomy_term_id == obj.id)).all()
        return {s for s in (session.get(Service, i) for i in ids) if s is not None}
    return set()


def _record_directory_changes(session: Session, flush_context: Any, instances: Any) -> None:
    """Append a change-log row for every service touched by this flush, and bump its version."""
    # Give new objects their ids now, so their rows and the log can name them in this same flush.
    for obj in session.new:
        table = getattr(obj, "__table__", None)
        if table is not None and "id" in table.c and isinstance(table.c.id.type, String) and obj.id is None:
            obj.id = new_uuid()
    if session.info.get(_BULK_LOAD):
        return  # the load's one mark stands for every service it touched
    touched: dict[str, tuple[Service, str]] = {}
    deleted_services = {obj for obj in session.deleted if isinstance(obj, Service)}
    with session.no_autoflush:
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if isinstance(obj, DirectoryChange) or (obj in session.dirty and not session.is_modified(obj)):
                continue
            for service in _services_of(obj, session):
                if service.id is None:
                    service.id = new_uuid()
                operation = "delete" if service in deleted_services else "upsert"
                touched[service.id] = (service, operation)
        now = utcnow()
        for service_id, (service, operation) in touched.items():
            if operation == "upsert" and service not in session.new:
                # A child changed: the service's public form changed, so its time and version move on.
                service.last_modified = now
            record_change(service_id, operation, now, session)


def track_directory_changes() -> None:
    """Register the change-log writer on the app's session (idempotent)."""
    if not event.contains(db.session, "before_flush", _record_directory_changes):
        event.listen(db.session, "before_flush", _record_directory_changes)
