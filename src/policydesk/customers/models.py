"""Customers (parties), households, contact points, consents, do-not-call and risk profiles."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")  # group policyholders, employers


class IdDocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")  # 居民身份证, 18 characters
    PASSPORT = "passport", _("Passport")
    HK_MACAU_PERMIT = "hk_macau_permit", _("Mainland travel permit for HK and Macau residents")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    HK_ID = "hk_id", _("Hong Kong identity card")
    SG_NRIC = "sg_nric", _("Singapore NRIC")
    BUSINESS_LICENCE = "business_licence", _("Unified social credit code")  # organisations
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "U", _("Unknown")


class IncomeBand(models.TextChoices):
    UNDER_50K = "lt50k", _("Under ¥50,000 a year")
    FROM_50K = "50k-100k", _("¥50,000–100,000")
    FROM_100K = "100k-300k", _("¥100,000–300,000")
    FROM_300K = "300k-1m", _("¥300,000–1,000,000")
    OVER_1M = "gt1m", _("Over ¥1,000,000")
    UNKNOWN = "unknown", _("Unknown")


class Segment(models.TextChoices):
    MASS = "mass", _("Mass")
    AFFLUENT = "affluent", _("Affluent")
    HIGH_NET_WORTH = "hnw", _("High net worth")
    SENIOR = "senior", _("Senior")
    RURAL = "rural", _("Rural")
    CORPORATE = "corporate", _("Corporate")


class Customer(models.Model):
    """A party the insurer serves: policyholder, insured, beneficiary or payer."""

    # Business key for imports: the source system's customer number.
    number = models.CharField(_("customer number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=PartyKind.choices)
    # No index of its own: customer_branch_id_idx (branch, id) serves every lookup by branch,
    # and each index is one more write per customer an import loads.
    branch = models.ForeignKey(
        "org.Branch",
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("branch"),
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=200)  # Chinese name as on the ID document
    name_latin = models.CharField(_("Latin name"), max_length=200, blank=True)
    id_type = models.CharField(_("ID document type"), max_length=24, choices=IdDocumentType.choices)
    # Encrypted at rest (AES-GCM, key POLICYDESK_FIELD_KEY); never stored in clear.
    id_number_encrypted = models.BinaryField(editable=False)
    # HMAC-SHA256 of the normalised number under a key derived from the same secret:
    # exact search without decrypting. Indexed in Meta: db_index on PostgreSQL would add a
    # second, LIKE index that an exact lookup never uses.
    id_number_hash = models.CharField(max_length=64, editable=False)
    id_number_last4 = models.CharField(max_length=4, editable=False)  # for masked display
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, default="U")
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    income_band = models.CharField(
        _("income band"), max_length=16, choices=IncomeBand.choices, default=IncomeBand.UNKNOWN
    )
    dependants = models.PositiveSmallIntegerField(_("dependants"), default=0)
    liabilities = models.DecimalField(_("liabilities"), max_digits=14, decimal_places=2, default=0)
    segment = models.CharField(
        _("segment"), max_length=16, choices=Segment.choices, default=Segment.MASS
    )
    preferred_language = models.ForeignKey(
        "org.Language",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred language"),
    )
    dialect = models.ForeignKey(
        "org.Language",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dialect"),
    )
    # e.g. ["elderly", "low_literacy", "hearing_impaired"]; see VULNERABILITY_FLAGS.
    vulnerability_flags = models.JSONField(_("vulnerability flags"), default=list, blank=True)
    household = models.ForeignKey(
        "Household", on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    source_system = models.CharField(_("source system"), max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # Search by name prefix within the visible branches. The search reads nothing
            # but these columns, so both databases answer a prefix from the index alone
            # (PostgreSQL once autovacuum has marked the pages all-visible).
            models.Index(fields=["name", "branch", "id"], name="customer_name_idx"),
            # Search by the start of the pinyin name, whatever its case ("wang xi"); the
            # column itself is in the index too, as PostgreSQL's index-only scan needs it.
            models.Index(
                Lower("name_latin"),
                F("branch"),
                F("id"),
                F("name_latin"),
                name="customer_name_latin_idx",
            ),
            models.Index(fields=["branch", "id"], name="customer_branch_id_idx"),
            models.Index(fields=["id_number_hash"], name="customer_id_number_hash_idx"),
        ]

    def __str__(self) -> str:
        return self.name


VULNERABILITY_FLAGS = {
    "elderly": _("Elderly (65+)"),
    "low_literacy": _("Low literacy"),
    "hearing_impaired": _("Hearing impaired"),
    "serious_illness": _("Serious illness"),
    "financial_hardship": _("Financial hardship"),
}


def new_household_number() -> str:
    """A number for a household made in PolicyDesk (linking relatives) or by the demo; an
    imported household keeps the source system's number."""
    return f"HH{uuid.uuid4().hex[:16].upper()}"


class Household(models.Model):
    """A household (家庭): customers who live and insure together."""

    # Business key for imports: the source system's household (family) number.
    number = models.CharField(
        _("household number"), max_length=32, unique=True, default=new_household_number
    )
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="households")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.name


class RelationKind(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")  # `related` is the child of `customer`
    PARENT = "parent", _("Parent")
    GUARDIAN = "guardian", _("Guardian")  # `related` is the guardian of `customer`
    EMPLOYER = "employer", _("Employer")
    OTHER = "other", _("Other")


class Relation(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relations")
    related = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("relation"), max_length=16, choices=RelationKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "related", "kind"], name="relation_unique"),
            models.CheckConstraint(
                condition=~models.Q(customer=models.F("related")), name="relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.related_id}"


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    ADDRESS = "address", _("Address")
    EMAIL = "email", _("E-mail")


class PhoneType(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    FIXED_LINE = "fixed_line", _("Fixed line")


class ContactPoint(models.Model):
    """A phone, address or e-mail of a customer, as received and as normalised."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    # For phones: the field it was entered in (a bank system may force a mobile into the
    # office-phone field); the quality checks compare it with what the number really is.
    phone_type = models.CharField(
        _("phone field"), max_length=16, choices=PhoneType.choices, blank=True
    )
    raw = models.CharField(_("as entered"), max_length=300)
    # E.164 for valid phones ("+8613812345678"); empty when the number cannot be parsed.
    e164 = models.CharField(_("normalised"), max_length=20, blank=True, db_index=True)
    is_valid = models.BooleanField(_("valid"), default=False)
    is_primary = models.BooleanField(_("primary"), default=False)
    source = models.CharField(_("source"), max_length=32, blank=True)  # system or channel
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        constraints = [
            # Business key for re-imports: one row per customer, kind and value as entered.
            models.UniqueConstraint(fields=["customer", "kind", "raw"], name="contact_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.raw}"


class DefectCode(models.TextChoices):
    """Contact-quality defects, each named so a worklist can say what to repair."""

    AREA_CODE_PREFIXED_MOBILE = (
        "area_code_prefixed_mobile",
        _("Mobile number with an area code prepended"),
    )  # e.g. 0594 + 13812345678, made by a system that treated it as a landline
    MOBILE_IN_FIXED_LINE_FIELD = (
        "mobile_in_fixed_line_field",
        _("Mobile number entered in a fixed-line field"),
    )
    INVALID_LENGTH = "invalid_length", _("Invalid number length")
    INVALID_NUMBER = "invalid_number", _("Not a valid phone number")
    SHARED_NUMBER = "shared_number", _("Number shared with unrelated customers")
    NO_REACHABLE_NUMBER = "no_reachable_number", _("Policy with no reachable number")


class ContactDefect(models.Model):
    """An open or repaired contact-quality finding."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="defects")
    contact = models.ForeignKey(
        ContactPoint, on_delete=models.CASCADE, null=True, blank=True, related_name="defects"
    )
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code = models.CharField(max_length=40, choices=DefectCode.choices)
    detail = models.CharField(max_length=300, blank=True)
    suggestion = models.CharField(max_length=300, blank=True)  # e.g. the repaired number
    detected_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["code", "resolved_at"], name="defect_code_open_idx")]

    def __str__(self) -> str:
        return f"{self.code} on {self.customer_id}"


class ConsentPurpose(models.TextChoices):
    SERVICE = "service", _("Service communication")
    MARKETING = "marketing", _("Marketing")
    SENSITIVE_DATA = "sensitive_data", _("Processing of sensitive data")  # PIPL art. 29
    CROSS_BORDER = "cross_border", _("Cross-border transfer")


class ConsentChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    MAIL = "mail", _("Mail")
    EMAIL = "email", _("E-mail")
    APP = "app", _("App")
    ANY = "any", _("Any channel")  # purposes without a channel (sensitive data, cross-border)


class Consent(models.Model):
    """One consent decision. Rows are never changed: a withdrawal is a new row, so the
    current state is the latest row per (customer, purpose, channel)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=ConsentChannel.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=64)  # e.g. "application form", "app"
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)  # document ref.
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "purpose", "channel", "-recorded_at"], name="consent_latest_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose}/{self.channel}: {self.granted}"


class DoNotCall(models.Model):
    """A do-not-call entry (e.g. six months after refusing a sales call)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="do_not_call"
    )
    e164 = models.CharField(max_length=20, db_index=True)
    reason = models.CharField(_("reason"), max_length=200)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)  # null: indefinitely
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.e164} until {self.ends_on}"


class RiskAppetite(models.TextChoices):
    CONSERVATIVE = "conservative", _("Conservative")
    BALANCED = "balanced", _("Balanced")
    GROWTH = "growth", _("Growth")


class RiskProfile(models.Model):
    """A needs-analysis assessment; a new assessment is a new row (history is kept)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="risk_profiles")
    annual_income = models.DecimalField(_("annual income"), max_digits=14, decimal_places=2)
    dependants = models.PositiveSmallIntegerField(_("dependants"))
    liabilities = models.DecimalField(_("liabilities"), max_digits=14, decimal_places=2)
    assets = models.DecimalField(_("liquid assets"), max_digits=14, decimal_places=2, default=0)
    existing_cover_elsewhere = models.DecimalField(
        _("cover held elsewhere"), max_digits=14, decimal_places=2, default=0
    )
    risk_appetite = models.CharField(
        _("risk appetite"), max_length=16, choices=RiskAppetite.choices
    )
    currency = models.CharField(max_length=3, default="CNY")
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.assessed_on}"
