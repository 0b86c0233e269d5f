"""Files that back quality checks: what may be uploaded (judged by content), where files are kept, when they go.

One place for stored files. A file lives under ``DOCUMENTS_DIR`` (the instance folder's ``documents/`` unless set),
never the static folder, under a random name. Its type is read from its first bytes, never from its name or the
browser's word. A file written in a transaction that rolls back is removed; a file whose row is deleted is removed
only once that deletion commits, so a failed request never leaves a row without its file.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

# (first bytes, content type, file extension): PDF, PNG, JPEG.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPG"}
WRONG_TYPE = "The file must be a PDF, JPG or PNG"
EMPTY = "The selected file is empty"
NO_FILE = "Select a file"
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(pdf|png|jpg)")
_WRITTEN = "microdir.documents.written"  # session.info keys: files this transaction wrote, and files it let go
_LET_GO = "microdir.documents.let_go"


UPLOAD_ENDPOINTS = frozenset({"providers.check_document"})


def init_app(app: Flask) -> None:
    """Let document uploads through up to DOCUMENT_UPLOAD_REQUEST_LIMIT, so a file over DOCUMENT_MAX_BYTES gets the
    form's message rather than the "too big" page. Registered before CSRF protection, which reads the form first."""

    @app.before_request
    def allow_document_uploads() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = app.config["DOCUMENT_UPLOAD_REQUEST_LIMIT"]


class DocumentError(ValueError):
    """An upload that is refused; the message is for the person."""


@dataclass(frozen=True)
class StoredDocument:
    stored_name: str
    content_type: str
    size_bytes: int


def max_bytes() -> int:
    return int(current_app.config["DOCUMENT_MAX_BYTES"])


def too_big_message() -> str:
    return f"The file must be smaller than {max_bytes() // (1024 * 1024)}MB"


def content_type_of(data: bytes) -> str | None:
    """Return the content type the file's first bytes show (PDF, PNG or JPEG), or None for anything else."""
    return next((kind for signature, kind, _ext in SIGNATURES if data.startswith(signature)), None)


def documents_dir() -> Path:
    folder = Path(current_app.config.get("DOCUMENTS_DIR") or os.path.join(current_app.instance_path, "documents"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def path_of(stored_name: str) -> Path:
    """Return where a stored file is; FileNotFoundError for a name we would never have made."""
    if not _STORED_NAME.fullmatch(stored_name or ""):
        raise FileNotFoundError(stored_name)
    return documents_dir() / stored_name


def save(data: bytes) -> StoredDocument:
    """Check an upload and write it under a new random name; raise DocumentError with the person's message.

    ``data`` may be cut at one byte over the limit (the caller need not read more to know it is too big).
    """
    if not data:
        raise DocumentError(EMPTY)
    if len(data) > max_bytes():
        raise DocumentError(too_big_message())
    kind = content_type_of(data)
    if kind is None:
        raise DocumentError(WRONG_TYPE)
    extension = next(ext for _signature, content_type, ext in SIGNATURES if content_type == kind)
    stored_name = secrets.token_hex(16) + extension
    path = documents_dir() / stored_name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    db.session.info.setdefault(_WRITTEN, []).append(stored_name)
    return StoredDocument(stored_name, kind, len(data))


def remove_when_committed(stored_name: str) -> None:
    """Remove a stored file once the transaction deleting its row commits (kept if it rolls back)."""
    db.session.info.setdefault(_LET_GO, []).append(stored_name)


def download_name(filename: str, content_type: str) -> str:
    """Return the uploader's file name made safe for a download header, with the extension its content shows."""
    stem = Path(unicodedata.normalize("NFKC", filename or "").replace("\\", "/")).stem
    stem = re.sub(r"[^A-Za-z0-9 ._-]+", "", stem).strip(" .")[:100] or "document"
    extension = next(ext for _signature, kind, ext in SIGNATURES if kind == content_type)
    return stem + extension


def _unlink(names: list[str]) -> None:
    for name in names:
        try:
            path_of(name).unlink(missing_ok=True)
        except (FileNotFoundError, RuntimeError):  # not one of ours, or no app to say where files are
            continue


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _unlink(session.info.pop(_LET_GO, []))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_LET_GO, None)
    _unlink(session.info.pop(_WRITTEN, []))
