"""Attachments: the type is proven by the content, the size is limited, the path is ours."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from policydesk.cases import attachments, services
from policydesk.cases.models import Attachment, Case, EventType, Process
from policydesk.core.errors import DomainError, NotVisible
from tests.conftest import World, signed_in

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def case(world: World, complaint: Process) -> Case:
    return services.case_open(
        process=complaint, channel="counter", branch=world.branch_a, subject="s", by=None
    )


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def test_a_pdf_is_stored_under_a_generated_name_and_put_on_the_timeline(
    world: World, case: Case
) -> None:
    attachment = attachments.case_attach(
        case=case, file_name="../../etc/申请书.pdf", content=PDF, by=world.teller_a
    )
    assert attachment.original_name == "申请书.pdf"
    assert attachment.content_type == "application/pdf"
    assert ".." not in attachment.storage_path and "申请书" not in attachment.storage_path
    assert attachments.attachment_path(attachment).read_bytes() == PDF
    assert case.events.filter(type=EventType.ATTACHED).count() == 1


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n0000", "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"II*\x00rest", "image/tiff"),
        ("客户来信内容".encode(), "text/plain"),
    ],
)
def test_each_allowed_type_is_recognised_by_its_first_bytes(
    content: bytes, content_type: str
) -> None:
    assert attachments.sniff(content) == content_type


def test_an_office_document_is_recognised_by_its_parts() -> None:
    assert attachments.sniff(_xlsx()).endswith("spreadsheetml.sheet")  # type: ignore[union-attr]
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("payload.exe", "MZ")
    assert attachments.sniff(plain_zip.getvalue()) is None


def test_an_executable_named_pdf_is_refused_and_nothing_is_written(
    world: World, case: Case, tmp_path: Path
) -> None:
    with pytest.raises(DomainError) as refused:
        attachments.case_attach(
            case=case, file_name="policy.pdf", content=b"MZ\x90\x00\x03", by=world.teller_a
        )
    assert refused.value.code == "attachment_type_refused"
    assert not Attachment.objects.exists()
    stored = tmp_path / "attachments"
    assert not stored.exists() or not any(path.is_file() for path in stored.rglob("*"))


@override_settings(POLICYDESK_ATTACHMENT_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused(world: World, case: Case) -> None:
    with pytest.raises(DomainError) as refused:
        attachments.case_attach(case=case, file_name="big.pdf", content=PDF * 10, by=world.teller_a)
    assert refused.value.field == "file"
    assert not Attachment.objects.exists()


def test_a_teller_of_another_branch_can_neither_attach_nor_download(
    world: World, case: Case
) -> None:
    with pytest.raises(NotVisible):
        attachments.case_attach(case=case, file_name="x.pdf", content=PDF, by=world.teller_b)
    attachment = attachments.case_attach(
        case=case, file_name="x.pdf", content=PDF, by=world.teller_a
    )
    url = f"/cases/{case.pk}/attachments/{attachment.pk}/"
    assert signed_in(world.teller_b).get(url).status_code == 404
    response = signed_in(world.teller_a).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]


def test_the_api_takes_a_multipart_upload(world: World, case: Case) -> None:
    client = signed_in(world.teller_a)
    upload = io.BytesIO(PDF)
    upload.name = "letter.pdf"
    response = client.post(f"/api/v1/cases/{case.pk}/attachments", {"file": upload})
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "application/pdf"
    listed = client.get(f"/api/v1/cases/{case.pk}/attachments").json()
    assert [item["name"] for item in listed] == ["letter.pdf"]
