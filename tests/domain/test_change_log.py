"""Every directory change writes the change log in the same transaction, and moves the service's version."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from sqlalchemy.orm.exc import StaleDataError

from microdir.extensions import db
from microdir.models import DirectoryChange, Schedule, Service
from tests import factories


def changes_for(service_id: str) -> list[DirectoryChange]:
    return list(db.session.scalars(db.select(DirectoryChange).where(DirectoryChange.service_id == service_id)
                                  .order_by(DirectoryChange.id)))


def test_creating_a_service_logs_it(app_ctx: Any) -> None:
    service = factories.create_service()
    assert [c.operation for c in changes_for(service.id)] == ["upsert"]


def test_changing_a_child_logs_the_service_and_bumps_its_version(app_ctx: Any) -> None:
    service = factories.create_service()
    version = service.version
    before = len(changes_for(service.id))
    service.schedules.append(Schedule(freq="WEEKLY", interval=2, byday="FR", opens_at=time(14), closes_at=time(16)))
    db.session.commit()
    assert len(changes_for(service.id)) == before + 1
    assert service.version == version + 1


def test_renaming_an_organisation_logs_all_its_services(app_ctx: Any) -> None:
    organization = factories.create_organization()
    first = factories.create_service(organization)
    second = factories.create_service(organization)
    organization.name = "Renamed Group"
    db.session.commit()
    assert changes_for(first.id)[-1].operation == "upsert"
    assert changes_for(second.id)[-1].operation == "upsert"
    assert changes_for(first.id)[-1].id > changes_for(first.id)[0].id


def test_deleting_a_service_logs_a_delete(app_ctx: Any) -> None:
    service = factories.create_service()
    service_id = service.id
    db.session.delete(service)
    db.session.commit()
    assert changes_for(service_id)[-1].operation == "delete"


def test_a_rolled_back_change_leaves_no_log(app_ctx: Any) -> None:
    service = factories.create_service()
    count = len(changes_for(service.id))
    service.name = "Never saved"
    db.session.flush()
    db.session.rollback()
    assert len(changes_for(service.id)) == count


def test_a_save_from_a_stale_version_is_refused(app_ctx: Any, app: Any) -> None:
    service = factories.create_service(name="Original")
    # Someone else saves first, in another session.
    with app.app_context():
        other = db.session.get(Service, service.id)
        other.name = "Their edit"
        db.session.commit()
    service.name = "My edit"
    with pytest.raises(StaleDataError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Service, service.id).name == "Their edit"
