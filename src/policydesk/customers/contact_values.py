"""What a contact value normalises to, shared by the services and the importer."""

from __future__ import annotations

from dataclasses import dataclass

from policydesk.core.phones import check_phone

from .models import ContactKind, PhoneType


@dataclass(frozen=True)
class ContactValues:
    phone_type: str  # the field a phone was entered in; "" for addresses and e-mails
    e164: str
    is_valid: bool


def normalise_contact(kind: str, raw: str, phone_type: str = "") -> ContactValues:
    """Phones are parsed to E.164 (a phone with no field given is taken as a mobile);
    e-mails need an @ and a dotted domain; addresses are taken as given."""
    if kind == ContactKind.PHONE:
        field = phone_type or PhoneType.MOBILE
        check = check_phone(raw, entered_as=field)
        return ContactValues(phone_type=field, e164=check.e164, is_valid=check.is_valid)
    if kind == ContactKind.EMAIL:
        return ContactValues("", "", "@" in raw and "." in raw.rpartition("@")[2])
    return ContactValues("", "", True)
