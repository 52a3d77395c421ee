"""The printable account review (账户检视报告), rendered by WeasyPrint from a template in
Simplified Chinese or English. Personal data appears masked: the customer's number and the
last four characters of the ID document, never the whole number."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from policydesk.customers.identity import masked

from .models import AccountReview

LANGUAGES = ("zh-hans", "en")


def review_context(review: AccountReview) -> dict[str, Any]:
    customer = review.customer
    assessment = review.assessment or {}
    return {
        "review": review,
        "customer_reference": customer.number,
        "masked_id": masked(customer.id_number_last4),
        "customer_name": customer.name,
        "lines": assessment.get("lines", []),
        "assessment": assessment,
    }


def review_document(review: AccountReview, *, language: str) -> Any:
    """The laid-out document (WeasyPrint's Document): its pages and text boxes."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    if language not in LANGUAGES:
        language = "zh-hans"
    with translation.override(language):
        html = render_to_string(
            "monitoring/review_pdf.html", {**review_context(review), "language": language}
        )
    return HTML(string=html).render()


def review_pdf(review: AccountReview, *, language: str) -> bytes:
    document: bytes = review_document(review, language=language).write_pdf()
    return document


def document_text(document: Any) -> str:
    """The text the PDF's text layer carries, read from the laid-out boxes."""
    from weasyprint.formatting_structure.boxes import TextBox  # type: ignore[import-untyped]

    parts: list[str] = []
    for page in document.pages:
        parts.extend(box.text for box in page._page_box.descendants() if isinstance(box, TextBox))
    return " ".join(parts)
