"""A document backing a quality check: PDF or image judged by content, size-limited, stored outside the static
folder under a random name, downloadable only by the organisation's members and moderators, deleted with the check."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from microdir.domain import provider_profiles
from microdir.extensions import db
from microdir.models import AuditEvent, DirectoryChange, QualityCheck, QualityCheckDocument, QualityCheckType, Role
from microdir.transactions import transaction
from tests import factories
from tests.pages import ClientRequest, Page

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HTML = b"<html><script>alert('hi')</script></html>"


def _documents(app: Any) -> set[str]:
    folder = Path(app.config["DOCUMENTS_DIR"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _status(client: Any, url: str) -> int:
    response = client.get(url)
    response.close()  # a download holds its file open until closed
    return int(response.status_code)


def _setting() -> tuple[Any, Any, QualityCheck]:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    factories.create_service(organization, name="Tuesday Tea Club")
    check = QualityCheck(organization=organization, check_type=QualityCheckType.PUBLIC_LIABILITY, reference="PL-1",
                         cover_amount=5_000_000)
    db.session.add(check)
    db.session.commit()
    return provider, organization, check


def _upload(client_request: ClientRequest, check: QualityCheck, data: bytes, name: str,
            content_type: str = "application/pdf", expected_status: int = 302) -> Page:
    url = f"/provider/checks/{check.id}/document?next=/provider/"
    token = client_request.get(url).form_data()["csrf_token"]
    # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(data), filename=name, content_type=content_type)})
    page = Page(client_request.client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}"))
    assert page.status == expected_status, page.text()[:500]
    return page


def test_a_provider_uploads_a_pdf_and_only_members_and_moderators_can_download_it(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, organization, check = _setting()
    client_request.sign_in(provider)
    listings = client_request.get("/provider/")
    (link,) = listings.select(f"#upload-{check.id}")
    assert link.get_text(" ", strip=True) == "Upload a document for the public liability insurance"
    form = client_request.get(link["href"])
    assert form.soup.select_one("form[enctype='multipart/form-data'] input[name=csrf_token]") is not None
    before = _documents(app_ctx)

    done = _upload(client_request, check, PDF, "../../Insurance certificate 2026.pdf")
    assert done.response.headers["Location"] == "/provider/"
    document = db.session.scalar(db.select(QualityCheckDocument))
    assert (document.content_type, document.size_bytes, document.filename) == (
        "application/pdf", len(PDF), "Insurance certificate 2026.pdf")
    (stored,) = _documents(app_ctx) - before
    assert stored == document.stored_name and "Insurance" not in stored and stored.endswith(".pdf")
    static = Path(app_ctx.static_folder).resolve()
    assert static not in (Path(app_ctx.config["DOCUMENTS_DIR"]) / stored).resolve().parents
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "quality_check.document.upload"))
    assert event.actor_id == provider.id and event.object_id == check.id

    shown = client_request.get("/provider/").soup.select_one(f"#document-{check.id}").get_text(" ", strip=True)
    assert shown == "Document: Insurance certificate 2026.pdf (PDF, 1 KB)"
    download = client_request.client.get(f"/provider/checks/{check.id}/document/file")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Insurance certificate 2026.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]
    download.close()

    # A moderator sees it when verifying; another organisation's member, a link worker and the public cannot have it.
    moderator = ClientRequest(client_request.app)
    moderator.sign_in(factories.create_user(Role.MODERATOR))
    queue = moderator.get("/moderation/revisions/quality-checks")
    href = queue.soup.select_one(f"#document-{check.id} a")["href"]
    assert href == f"/provider/checks/{check.id}/document/file"
    assert _status(moderator.client, href) == 200
    for role in (Role.PROVIDER, Role.LINK_WORKER, Role.COMMISSIONER):
        other = ClientRequest(client_request.app)
        other.sign_in(factories.create_user(role, organizations=[factories.create_organization()])
                      if role is Role.PROVIDER else factories.create_user(role))
        assert _status(other.client, href) == 403, role
    anonymous = client_request.app.test_client().get(href)
    anonymous.close()
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]


@pytest.mark.parametrize(
    ("data", "name", "content_type", "message"),
    [
        (HTML, "certificate.pdf", "application/pdf", "The file must be a PDF, JPG or PNG"),  # the name and type lie
        (b"GIF89a" + b"\x00" * 10, "dbs.gif", "image/gif", "The file must be a PDF, JPG or PNG"),
        (PNG + b"\x00" * (5 * 1024 * 1024), "big.png", "image/png", "The file must be smaller than 5MB"),
        (PDF + b"\x00" * (7 * 1024 * 1024), "bigger.pdf", "application/pdf", "The file must be smaller than 5MB"),
        (b"", "empty.pdf", "application/pdf", "The selected file is empty"),
    ],
    ids=["html-named-pdf", "gif", "just-over-5mb", "over-the-request-limit-of-other-forms", "empty"],
)
def test_bad_files_get_a_message_and_change_nothing(
    app_ctx: Any, client_request: ClientRequest, data: bytes, name: str, content_type: str, message: str
) -> None:
    provider, _organization, check = _setting()
    client_request.sign_in(provider)
    before = _documents(app_ctx)
    page = _upload(client_request, check, data, name, content_type, expected_status=200)
    assert page.error_summary() == [message]
    assert page.title.startswith("Error: ")
    assert db.session.scalar(db.select(db.func.count()).select_from(QualityCheckDocument)) == 0
    assert _documents(app_ctx) == before


def test_no_file_and_no_csrf_token_are_refused(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, _organization, check = _setting()
    client_request.sign_in(provider)
    url = f"/provider/checks/{check.id}/document"
    page = client_request.post(url, {}, expected_status=200)
    assert page.error_summary() == ["Select a file"]
    forged = client_request.client.post(url, data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert forged.status_code in (200, 400) and db.session.scalar(db.select(QualityCheckDocument)) is None
    forged.close()


def test_a_new_document_replaces_the_old_and_deleting_the_check_deletes_its_file(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, _organization, check = _setting()
    client_request.sign_in(provider)
    _upload(client_request, check, PNG, "scan.png", "image/png")
    first = db.session.scalar(db.select(QualityCheckDocument)).stored_name
    _upload(client_request, check, JPEG, "photo.jpeg", "image/jpeg")
    db.session.expire_all()
    (document,) = db.session.scalars(db.select(QualityCheckDocument)).all()
    assert document.filename == "photo.jpg" and document.content_type == "image/jpeg"
    assert first not in _documents(app_ctx) and document.stored_name in _documents(app_ctx)

    changes_before = db.session.scalar(db.select(db.func.count()).select_from(DirectoryChange))
    confirm = client_request.get(f"/provider/checks/{check.id}/delete?next=/provider/")
    assert "Are you sure you want to delete your public liability insurance?" in confirm.h1
    client_request.post(f"/provider/checks/{check.id}/delete?next=/provider/")
    db.session.expire_all()
    assert db.session.get(QualityCheck, check.id) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(QualityCheckDocument)) == 0
    assert document.stored_name not in _documents(app_ctx)
    # The open data lists checks in force, so the organisation's listing changed too.
    assert db.session.scalar(db.select(db.func.count()).select_from(DirectoryChange)) == changes_before + 1
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "quality_check.delete")).actor_id \
        == provider.id


def test_a_file_written_in_a_transaction_that_rolls_back_is_removed(app_ctx: Any) -> None:
    provider, _organization, check = _setting()
    before = _documents(app_ctx)
    with pytest.raises(RuntimeError), transaction():
        provider_profiles.attach_document(check, PDF, "x.pdf", provider)
        assert len(_documents(app_ctx) - before) == 1
        raise RuntimeError("the request failed after the file was written")
    assert _documents(app_ctx) == before
    assert db.session.scalar(db.select(QualityCheckDocument)) is None


def test_a_new_document_on_a_verified_check_puts_it_back_in_the_moderators_list(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, _organization, check = _setting()
    moderator = factories.create_user(Role.MODERATOR)
    provider_profiles.verify_quality_check(check, moderator)
    db.session.commit()
    client_request.sign_in(moderator)
    assert client_request.get("/moderation/revisions/quality-checks").select("#checks tbody tr") == []

    client_request.sign_out()
    client_request.sign_in(provider)
    _upload(client_request, check, PDF, "Renewed certificate.pdf")
    status = client_request.get("/provider/").soup.find("strong", string="Waiting to be verified")
    assert status is not None  # the provider sees it will be looked at again

    client_request.sign_out()
    client_request.sign_in(moderator)
    checks = client_request.get("/moderation/revisions/quality-checks")
    (row,) = checks.select("#checks tbody tr")
    assert "Public liability insurance" in row.get_text(" ", strip=True)
    assert checks.soup.select_one(f"#document-{check.id}") is not None  # the new document is there to look at
    upload = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "quality_check.document.upload"))
    assert upload.actor_id == provider.id and upload.detail["verification_withdrawn"] is True

    form = checks.form_data(f"form[action$='/quality-checks/{check.id}/verify']")
    client_request.post(f"/moderation/revisions/quality-checks/{check.id}/verify", form,
                        form_url="/moderation/revisions/quality-checks")
    assert client_request.get("/moderation/revisions/quality-checks").select("#checks tbody tr") == []


def test_two_messages_on_one_page_each_have_their_own_title(app_ctx: Any, client_request: ClientRequest) -> None:
    # Two saves before the next page (a second tab, or a form posted again) flash two banners; both titles had the id
    # govuk-notification-banner-title, so a screen reader announced the first banner's title for the second one.
    provider, _organization, check = _setting()
    client_request.sign_in(provider)
    url = f"/provider/checks/{check.id}/document?next=/provider/"
    token = client_request.get(url).form_data()["csrf_token"]
    for name in ("first.pdf", "second.pdf"):  # the form sent twice before a page is seen
        boundary, body = encode_multipart(
            {"csrf_token": token, "file": FileStorage(io.BytesIO(PDF), filename=name, content_type="application/pdf")})
        assert client_request.client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}"
                                          ).status_code == 302
    page = client_request.get("/provider/")  # check_page: no duplicate ids
    banners = page.select(".govuk-notification-banner")
    assert len(banners) == 2
    titles = [page.soup.find(id=b["aria-labelledby"]) for b in banners]
    assert all(t is not None and t.get_text(strip=True) == "Success" for t in titles)
    assert titles[0] is not titles[1]
