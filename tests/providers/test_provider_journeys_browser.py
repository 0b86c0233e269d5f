"""Issue 15, provider: add another service through the task list, and back a quality check with a document —
in Chromium with JavaScript off, axe-core on each new page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.extensions import db
from microdir.models import ListingStatus, QualityCheck, QualityCheckType, Role, Service
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_a_provider_adds_a_service_and_uploads_a_document_without_javascript(app_ctx: Any, nojs_page: Any) -> None:
    page = nojs_page
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    factories.create_service(organization, name="Tuesday Tea Club")
    check = QualityCheck(organization=organization, check_type=QualityCheckType.DBS, reference="001234567890")
    db.session.add(check)
    db.session.commit()

    sign_in(page, provider)
    page.goto("/provider/")
    page.get_by_role("link", name="Add another service to Smethwick Friends").click()
    expect(page.locator("h1")).to_have_text("What is the service called?")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the name of the service")
    assert_accessible(page)
    page.get_by_label("What is the service called?").fill("Thursday Walking Group")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Register Thursday Walking Group")
    expect(page.locator("#task-1-status")).to_have_text("Completed")  # the organisation's answers carry over
    assert_accessible(page)
    added = db.session.scalar(db.select(Service).where(Service.name == "Thursday Walking Group"))
    assert added is not None and added.listing_status is ListingStatus.DRAFT

    page.goto("/provider/")
    page.get_by_role("link", name="Upload a document for the DBS check").click()
    expect(page.locator("h1")).to_have_text("Upload a document for your DBS check")
    assert_accessible(page)
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"<html>not a pdf</html>"}])
    page.get_by_role("button", name="Upload document").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The file must be a PDF, JPG or PNG")
    assert_accessible(page)
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "DBS letter.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Upload document").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been uploaded")
    expect(page.locator(f"#document-{check.id}")).to_contain_text("DBS letter.pdf (PDF, 1 KB)")
    with page.expect_download() as download:
        page.locator(f"#document-{check.id} a").click()
    assert download.value.suggested_filename == "DBS letter.pdf"
    assert_accessible(page)
