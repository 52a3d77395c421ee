"""ID document numbers: validation, sealing (encryption + keyed hash) and masking."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from policydesk.core.crypto import decrypt_text, encrypt_text, normalise_identifier, search_hash
from policydesk.core.errors import DomainError

from .models import IdDocumentType

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"
# The weighted sum of 17 ASCII digits read as their byte values is this much too large.
_ASCII_ZERO_OFFSET = ord("0") * sum(RESIDENT_ID_WEIGHTS)


@dataclass(frozen=True)
class SealedIdentifier:
    encrypted: bytes
    hash: str
    last4: str


def resident_id_check_digit(first17: str) -> str:
    if len(first17) != len(RESIDENT_ID_WEIGHTS):
        raise ValueError("A resident ID check character needs 17 digits.")
    if first17.isascii() and first17.isdigit():  # bytes are the digit codes: no int() each
        total = sum(map(operator.mul, first17.encode(), RESIDENT_ID_WEIGHTS)) - _ASCII_ZERO_OFFSET
    else:
        total = sum(map(operator.mul, map(int, first17), RESIDENT_ID_WEIGHTS))
    return RESIDENT_ID_CHECK[total % 11]


def resident_id_birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_id_number(id_type: str, number: str) -> str:
    """Return the normalised number, or raise DomainError(field="id_number") naming why."""
    normalised = normalise_identifier(number)
    if not normalised:
        raise DomainError(_("The ID number is missing."), field="id_number")
    if id_type == IdDocumentType.RESIDENT_ID:
        if len(normalised) != 18 or not normalised[:17].isdigit():
            raise DomainError(
                _("A resident ID number has 17 digits and a check character."), field="id_number"
            )
        if resident_id_check_digit(normalised[:17]) != normalised[17]:
            raise DomainError(
                _("The resident ID number's check character is wrong."), field="id_number"
            )
        if resident_id_birth_date(normalised) is None:
            raise DomainError(
                _("The resident ID number holds no valid birth date."), field="id_number"
            )
    elif len(normalised) < 5:
        raise DomainError(_("The ID number is too short."), field="id_number")
    return normalised


def seal(normalised: str) -> SealedIdentifier:
    return SealedIdentifier(
        encrypted=encrypt_text(normalised), hash=search_hash(normalised), last4=normalised[-4:]
    )


def lookup_hash(number: str) -> str:
    """The keyed hash to search for a number as a user typed it."""
    return search_hash(normalise_identifier(number))


def reveal(encrypted: bytes | memoryview) -> str:
    return decrypt_text(encrypted)


def masked(last4: str, length: int = 18) -> str:
    return "*" * (length - len(last4)) + last4
