"""Attachments on cases: the type is read from the content, never from the name.

A file is accepted only when its first bytes are those of an allowed type (PDF, PNG, JPEG,
TIFF, an Office Open XML document, or plain UTF-8 text), within the size limit. It is
stored under DATA_DIR/attachments/<year>/<month>/<random name> — the uploader's file name is
kept for display only and never touches the file system.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require, require_branch_visible
from policydesk.core.audit import audit_record
from policydesk.core.errors import DomainError
from policydesk.org.models import Staff

from .models import Attachment, Case, EventType

MAX_BYTES_DEFAULT = 10 * 1024 * 1024
OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def max_bytes() -> int:
    return int(getattr(settings, "POLICYDESK_ATTACHMENT_MAX_BYTES", MAX_BYTES_DEFAULT))


def sniff(content: bytes) -> str | None:
    """The content type the bytes prove, or None when they are not of an allowed type."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" not in names:
            return None
        for prefix, content_type in OOXML.items():
            if any(name.startswith(prefix) for name in names):
                return content_type
        return None
    if b"\x00" not in content:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


def storage_root() -> Path:
    return Path(settings.DATA_DIR) / "attachments"


@transaction.atomic
def case_attach(
    *, case: Case, file_name: str, content: bytes, by: Staff, at: dt.datetime | None = None
) -> Attachment:
    require(by, "cases.work")
    from .services import _locked

    case = _locked(case)
    require_branch_visible(by, case.branch_id)
    at = at or timezone.now()
    if not content:
        raise DomainError(_("The file is empty."), field="file")
    if len(content) > max_bytes():
        raise DomainError(
            _("The file is larger than %(mb)s MB.") % {"mb": max_bytes() // (1024 * 1024)},
            field="file",
        )
    content_type = sniff(content)
    if content_type is None:
        raise DomainError(
            _("Only PDF, images (PNG, JPEG, TIFF), Word or Excel documents and text files."),
            field="file",
            code="attachment_type_refused",
        )
    relative = Path(f"{at:%Y}") / f"{at:%m}" / uuid.uuid4().hex
    target = storage_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    try:
        return _record(case, target, relative, file_name, content, content_type, by, at)
    except Exception:
        target.unlink(missing_ok=True)  # the row was not written: no orphan file
        raise


def _record(
    case: Case,
    target: Path,
    relative: Path,
    file_name: str,
    content: bytes,
    content_type: str,
    by: Staff,
    at: dt.datetime,
) -> Attachment:
    from .services import event_add

    display_name = Path(file_name.replace("\\", "/")).name[:255] or "attachment"
    attachment = Attachment.objects.create(
        case=case,
        original_name=display_name,
        storage_path=str(relative),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=by,
        uploaded_at=at,
    )
    event_add(
        case,
        EventType.ATTACHED,
        by=by,
        at=at,
        attachment=attachment.pk,
        name=display_name,
        content_type=content_type,
        size=len(content),
    )
    audit_record(
        action="cases.attach",
        actor=by,
        target=case,
        after={"attachment": attachment.pk, "name": display_name, "type": content_type},
    )
    return attachment


def attachment_path(attachment: Attachment) -> Path:
    return storage_root() / attachment.storage_path
