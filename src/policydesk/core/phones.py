"""Phone numbers: normalisation to E.164 and the defects that cost callbacks.

The seed branch lost callbacks because a bank system forced mobiles into the office-phone
field and the callback system then prepended the area code 0594 (0594 + 138…). Each check
here names its defect and, where it can, the repaired number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# A mainland area code (0 + 2 or 3 digits) glued in front of an 11-digit mobile.
AREA_CODE_PREFIXED_MOBILE = re.compile(r"^(?:86)?(0\d{2,3})(1[3-9]\d{9})$")


@dataclass(frozen=True)
class PhoneCheck:
    raw: str
    e164: str = ""
    is_valid: bool = False
    is_mobile: bool = False
    defects: tuple[str, ...] = ()
    suggestion: str = ""  # a repaired E.164 number, when one can be derived
    details: dict[str, str] = field(default_factory=dict)


def digits_of(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isdigit())


def to_e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_phone(raw: str, *, entered_as: str = "", region: str = "CN") -> PhoneCheck:
    """Parse and classify a phone as entered; `entered_as` is "mobile" or "fixed_line"."""
    digits = digits_of(raw)
    prefixed = AREA_CODE_PREFIXED_MOBILE.match(digits)
    if prefixed and region == "CN":
        repaired = "+86" + prefixed.group(2)
        return PhoneCheck(
            raw=raw,
            defects=("area_code_prefixed_mobile",),
            suggestion=repaired,
            details={"area_code": prefixed.group(1)},
        )
    national = digits[2:] if digits.startswith("86") and len(digits) > 11 else digits
    if (
        region == "CN"
        and not raw.strip().startswith("+")
        and (len(national) < 7 or (national.startswith("1") and len(national) != 11))
    ):
        # Too short for any number, or a mobile (1xx) that is not 11 digits long.
        return PhoneCheck(raw=raw, defects=("invalid_length",))
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return PhoneCheck(raw=raw, defects=("invalid_number",))
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible in (
        ValidationResult.TOO_SHORT,
        ValidationResult.TOO_LONG,
        ValidationResult.INVALID_LENGTH,
    ):
        return PhoneCheck(raw=raw, defects=("invalid_length",))
    if not phonenumbers.is_valid_number(number):
        return PhoneCheck(raw=raw, defects=("invalid_number",))
    kind = phonenumbers.number_type(number)
    is_mobile = kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE) and (
        kind == PhoneNumberType.MOBILE or CN_MOBILE.match(str(number.national_number)) is not None
    )
    defects: tuple[str, ...] = ()
    if entered_as == "fixed_line" and is_mobile:
        defects = ("mobile_in_fixed_line_field",)
    return PhoneCheck(
        raw=raw, e164=to_e164(number), is_valid=True, is_mobile=is_mobile, defects=defects
    )
