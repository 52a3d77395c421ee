"""Column specifications of every import kind, as data.

The importer parses and checks rows by these specs, the exporter writes the same columns,
and `docs/import-formats.md` plus `docs/examples/<kind>.csv` are generated from them
(`policydesk import --write-docs`), so the documentation cannot drift from the code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from policydesk.customers.models import (
    VULNERABILITY_FLAGS,
    ConsentChannel,
    ConsentPurpose,
    ContactKind,
    Gender,
    IdDocumentType,
    IncomeBand,
    PartyKind,
    PhoneType,
    Segment,
)
from policydesk.policies.models import (
    Channel,
    CollectionResult,
    DisbursementKind,
    DisbursementStatus,
    Jurisdiction,
    PaymentMethod,
    PaymentMode,
    PolicyStatus,
    PremiumStatus,
    ProductLine,
    Term,
)


class ColumnType(enum.StrEnum):
    TEXT = "text"
    INTEGER = "integer"  # whole number ≥ 0
    DECIMAL = "decimal"  # amount ≥ 0, at most two decimals, "." as separator
    DATE = "date"  # YYYY-MM-DD
    DATETIME = "datetime"  # ISO 8601; without an offset, read in the default branch time zone
    BOOLEAN = "boolean"  # true/false, yes/no, 1/0, 是/否
    CHOICE = "choice"  # one of `choices`
    LIST = "list"  # values separated by ";", each one of `choices`
    MAPPING = "mapping"  # KEY:number pairs separated by ";", e.g. CN:15;HK:21


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 0
    # The value a blank optional cell stands for (the model's default).
    default: object = None
    max_digits: int = 14  # for decimals: digits in all, two of them after the point


@dataclass(frozen=True)
class KindSpec:
    kind: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # column names forming the business key (upsert and duplicates)
    example: tuple[tuple[str, ...], ...]  # rows of docs/examples/<kind>.csv

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _values(choices: type[enum.Enum]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in choices)


def text(name: str, help: str, *, required: bool = False, max_length: int = 200) -> Column:
    return Column(name, ColumnType.TEXT, help, required=required, max_length=max_length, default="")


def currency() -> Column:
    return Column("currency", ColumnType.TEXT, "ISO currency code.", max_length=3, default="CNY")


def choice(
    name: str, choices: type[enum.Enum], help: str, *, required: bool = False, default: str = ""
) -> Column:
    return Column(
        name,
        ColumnType.CHOICE,
        help,
        required=required,
        choices=_values(choices),
        default=default or None,
    )


CUSTOMERS = KindSpec(
    kind="customers",
    title="Customers",
    description="Parties the insurer serves (客户). Key: `number`.",
    columns=(
        text("number", "Customer number in the source system.", required=True, max_length=32),
        text("branch", "Code of the branch that holds the customer.", required=True, max_length=32),
        choice("kind", PartyKind, "Person or organisation.", required=True),
        text("name", "Name as on the ID document.", required=True),
        text("name_latin", "Name in Latin letters (pinyin)."),
        choice("id_type", IdDocumentType, "ID document type.", required=True),
        Column(
            "id_number",
            ColumnType.TEXT,
            "ID document number; resident IDs are checked (length, check character, birth "
            "date). Stored encrypted; exports show it masked unless the role may see identities.",
            required=True,
            max_length=40,
        ),
        Column("birth_date", ColumnType.DATE, "Birth date."),
        choice("gender", Gender, "F, M or U.", default="U"),
        text("occupation", "Occupation.", max_length=100),
        choice("income_band", IncomeBand, "Yearly income band.", default="unknown"),
        Column("dependants", ColumnType.INTEGER, "Number of dependants.", default=0),
        Column("liabilities", ColumnType.DECIMAL, "Liabilities in CNY.", default="0"),
        choice("segment", Segment, "Customer segment.", default="mass"),
        text("source_system", "System the record comes from.", max_length=32),
        text(
            "household_number",
            "Number of an existing household (households kind); blank leaves the customer's "
            "household as it is.",
            max_length=32,
        ),
        text(
            "preferred_language",
            "Code of the language the customer prefers to be served in (one of the "
            "organisation's languages, e.g. `mandarin`); blank leaves it as it is.",
            max_length=32,
        ),
        text(
            "dialect",
            "Code of the dialect the customer speaks (a language marked as a dialect, e.g. "
            "`puxian`); blank leaves it as it is.",
            max_length=32,
        ),
        Column(
            "vulnerability_flags",
            ColumnType.LIST,
            "Vulnerability flags, separated by `;` (the counter and callbacks take extra care); "
            "blank leaves them as they are.",
            choices=tuple(VULNERABILITY_FLAGS),
        ),
    ),
    key=("number",),
    example=(
        (
            "C0000001",
            "branch-a",
            "person",
            "张伟",
            "Zhang Wei",
            "resident_id",
            "11010519491231002X",
            "1949-12-31",
            "M",
            "retired",
            "50k-100k",
            "0",
            "0.00",
            "senior",
            "core-v8",
            "",
            "mandarin",
            "puxian",
            "elderly",
        ),
        (
            "C0000002",
            "branch-a",
            "person",
            "李娜",
            "Li Na",
            "passport",
            "E12345678",
            "1985-06-01",
            "F",
            "teacher",
            "100k-300k",
            "2",
            "350000.00",
            "affluent",
            "core-v8",
            "",
            "",
            "",
            "",
        ),
        (
            "C0000003",
            "branch-a",
            "organisation",
            "莆田示例贸易有限公司",
            "",
            "business_licence",
            "91350300MA2XXXXX1X",
            "",
            "U",
            "",
            "unknown",
            "0",
            "0",
            "corporate",
            "group",
            "",
            "",
            "",
            "",
        ),
    ),
)

CONTACTS = KindSpec(
    kind="contacts",
    title="Contact points",
    description=(
        "Phones, addresses and e-mails of customers (联系方式). Key: (`customer_number`, "
        "`kind`, `value`). Phones are normalised to E.164 and checked on import."
    ),
    columns=(
        text("customer_number", "Number of an existing customer.", required=True, max_length=32),
        choice("kind", ContactKind, "phone, address or email.", required=True),
        text("value", "The phone, address or e-mail as entered.", required=True, max_length=300),
        choice(
            "phone_type",
            PhoneType,
            "For phones: the field it was entered in (mobile by default).",
        ),
        Column("is_primary", ColumnType.BOOLEAN, "Primary contact of its kind.", default=False),
        text("source", "System or channel it came from.", max_length=32),
    ),
    key=("customer_number", "kind", "value"),
    example=(
        ("C0000001", "phone", "13812345678", "mobile", "true", "core-v8"),
        ("C0000001", "phone", "059413812345678", "fixed_line", "false", "bank"),
        ("C0000002", "email", "li.na@example.com", "", "true", "app"),
        ("C0000002", "address", "福建省莆田市仙游县鲤城街道 1 号", "", "true", "core-v8"),
    ),
)

CONSENTS = KindSpec(
    kind="consents",
    title="Consents",
    description=(
        "Consent decisions per purpose and channel (授权). Key: (`customer_number`, `purpose`, "
        "`channel`, `recorded_at`). A recorded decision is never changed: a withdrawal is a "
        "new row with a later `recorded_at`; a row that contradicts a recorded one is refused."
    ),
    columns=(
        text("customer_number", "Number of an existing customer.", required=True, max_length=32),
        choice("purpose", ConsentPurpose, "What the consent is for.", required=True),
        choice("channel", ConsentChannel, "Channel (any for purposes without one).", required=True),
        Column(
            "granted",
            ColumnType.BOOLEAN,
            "true: granted, false: refused or withdrawn.",
            required=True,
        ),
        text(
            "source",
            "Where the consent came from, e.g. application form.",
            required=True,
            max_length=64,
        ),
        text("evidence", "Document reference.", max_length=300),
        Column("recorded_at", ColumnType.DATETIME, "When the decision was made.", required=True),
    ),
    key=("customer_number", "purpose", "channel", "recorded_at"),
    example=(
        (
            "C0000001",
            "service",
            "phone",
            "true",
            "application form",
            "APP-2024-001",
            "2024-03-01T10:00:00+08:00",
        ),
        ("C0000001", "marketing", "sms", "false", "callback", "", "2024-03-05T09:30:00+08:00"),
        ("C0000002", "sensitive_data", "any", "true", "app", "consent-v3", "2024-04-01T12:00:00Z"),
    ),
)

PRODUCTS = KindSpec(
    kind="products",
    title="Products",
    description="Insurance products (产品). Key: `code`.",
    columns=(
        text("code", "Product code.", required=True, max_length=32),
        text("name", "Product name.", required=True),
        text("name_en", "English name."),
        choice("line", ProductLine, "Product line.", required=True),
        choice("term", Term, "long or short.", required=True),
        Column(
            "cooling_off_days",
            ColumnType.MAPPING,
            "Cooling-off days by jurisdiction, e.g. CN:15;HK:21.",
            default={},
        ),
        Column(
            "payment_modes",
            ColumnType.LIST,
            "Allowed payment modes, separated by ';'.",
            choices=_values(PaymentMode),
            default=[],
        ),
        Column("callback_required", ColumnType.BOOLEAN, "Post-sale callback needed.", default=True),
        currency(),
        Column("is_active", ColumnType.BOOLEAN, "On sale.", default=True),
    ),
    key=("code",),
    example=(
        (
            "P-LIFE-20",
            "鑫福终身寿险",
            "Xinfu whole life",
            "life",
            "long",
            "CN:15",
            "annual;monthly",
            "true",
            "CNY",
            "true",
        ),
        (
            "P-ACC-1",
            "意外伤害保险",
            "Accident cover",
            "accident",
            "short",
            "",
            "single",
            "false",
            "CNY",
            "true",
        ),
    ),
)

POLICIES = KindSpec(
    kind="policies",
    title="Policies",
    description=(
        "Policies (保单). Key: `number`. The product, branch and policyholder must exist "
        "and be visible to the importing user."
    ),
    columns=(
        text("number", "Policy number.", required=True, max_length=32),
        text("product_code", "Code of an existing product.", required=True, max_length=32),
        text("branch", "Code of the branch that holds the policy.", required=True, max_length=32),
        text(
            "policyholder_number",
            "Customer number of the policyholder.",
            required=True,
            max_length=32,
        ),
        choice("channel", Channel, "Distribution channel.", required=True),
        text("source_system", "System the record comes from.", max_length=32),
        choice("jurisdiction", Jurisdiction, "CN, HK or SG.", default="CN"),
        choice("status", PolicyStatus, "Policy status.", required=True),
        Column("application_date", ColumnType.DATE, "Application date.", required=True),
        Column("issue_date", ColumnType.DATE, "Issue date."),
        Column("receipt_signed_date", ColumnType.DATE, "Receipt signed on."),
        Column("cooling_off_end", ColumnType.DATE, "Last day of the cooling-off period."),
        Column("paid_to_date", ColumnType.DATE, "Premium paid to."),
        Column("next_due_date", ColumnType.DATE, "Next premium due."),
        Column("term_years", ColumnType.INTEGER, "Term in years.", default=1),
        Column("sum_assured", ColumnType.DECIMAL, "Sum assured.", required=True),
        Column(
            "premium", ColumnType.DECIMAL, "Premium per instalment.", required=True, max_digits=12
        ),
        currency(),
        choice("payment_mode", PaymentMode, "Payment mode.", required=True),
        choice("payment_method", PaymentMethod, "Payment method.", required=True),
        text("agent_code", "Code of the selling agent, if any (must exist).", max_length=32),
        text(
            "intermediary_code",
            "Code of the bank, broker or agency that sold it, if any (must exist).",
            max_length=32,
        ),
    ),
    key=("number",),
    example=(
        (
            "PL000000001",
            "P-LIFE-20",
            "branch-a",
            "C0000001",
            "agency",
            "core-v8",
            "CN",
            "in_force",
            "2024-03-01",
            "2024-03-06",
            "2024-03-09",
            "2024-03-24",
            "2025-03-06",
            "2025-03-06",
            "20",
            "200000.00",
            "6000.00",
            "CNY",
            "annual",
            "auto_debit",
            "",
            "",
        ),
        (
            "PL000000002",
            "P-ACC-1",
            "branch-a",
            "C0000002",
            "bancassurance",
            "bank",
            "CN",
            "issued",
            "2024-05-10",
            "2024-05-12",
            "",
            "",
            "",
            "",
            "1",
            "100000",
            "300.00",
            "CNY",
            "single",
            "bank_transfer",
            "",
            "",
        ),
    ),
)

PREMIUMS = KindSpec(
    kind="premiums",
    title="Premiums due",
    description="Premium instalments (应收保费). Key: (`policy_number`, `due_date`).",
    columns=(
        text("policy_number", "Number of an existing policy.", required=True, max_length=32),
        Column("due_date", ColumnType.DATE, "Due date.", required=True),
        Column("amount", ColumnType.DECIMAL, "Amount due.", required=True, max_digits=12),
        currency(),
        choice("status", PremiumStatus, "Premium status.", required=True),
        Column("paid_on", ColumnType.DATE, "Paid on."),
        Column("is_first_premium", ColumnType.BOOLEAN, "First premium (首期).", default=False),
    ),
    key=("policy_number", "due_date"),
    example=(
        ("PL000000001", "2024-03-06", "6000.00", "CNY", "paid", "2024-03-06", "true"),
        ("PL000000001", "2025-03-06", "6000.00", "CNY", "due", "", "false"),
    ),
)

ATTEMPTS = KindSpec(
    kind="attempts",
    title="Collection attempts",
    description=(
        "Attempts to collect a premium, e.g. renewal auto-debits (续期代扣). Key: "
        "(`policy_number`, `due_date`, `attempted_on`, `method`); the premium "
        "(`policy_number`, `due_date`) must exist."
    ),
    columns=(
        text("policy_number", "Number of an existing policy.", required=True, max_length=32),
        Column("due_date", ColumnType.DATE, "Due date of the premium.", required=True),
        Column("attempted_on", ColumnType.DATE, "Day of the attempt.", required=True),
        choice("method", PaymentMethod, "Payment method.", required=True),
        Column("amount", ColumnType.DECIMAL, "Amount attempted.", required=True, max_digits=12),
        choice("result", CollectionResult, "Outcome.", required=True),
        text("bank_code", "Bank result code.", max_length=16),
    ),
    key=("policy_number", "due_date", "attempted_on", "method"),
    example=(
        (
            "PL000000001",
            "2025-03-06",
            "2025-03-06",
            "auto_debit",
            "6000.00",
            "insufficient_funds",
            "51",
        ),
        ("PL000000001", "2025-03-06", "2025-03-13", "auto_debit", "6000.00", "success", "00"),
    ),
)

DISBURSEMENTS = KindSpec(
    kind="disbursements",
    title="Disbursements",
    description=(
        "Payments to customers: survival benefits (生存金), maturity, claims, surrenders, "
        "refunds. Key: (`policy_number`, `kind`, `due_date`)."
    ),
    columns=(
        text("policy_number", "Number of an existing policy.", required=True, max_length=32),
        choice("kind", DisbursementKind, "What is paid.", required=True),
        Column("due_date", ColumnType.DATE, "Due date.", required=True),
        Column("amount", ColumnType.DECIMAL, "Amount.", required=True),
        currency(),
        choice("method", PaymentMethod, "Payment method.", required=True),
        choice("status", DisbursementStatus, "Status.", required=True),
        Column("paid_on", ColumnType.DATE, "Paid on."),
        text("failure_reason", "Why a payment failed, e.g. dormant passbook."),
    ),
    key=("policy_number", "kind", "due_date"),
    example=(
        (
            "PL000000001",
            "survival_benefit",
            "2027-03-06",
            "2000.00",
            "CNY",
            "bank_transfer",
            "failed",
            "",
            "dormant passbook",
        ),
        (
            "PL000000001",
            "survival_benefit",
            "2030-03-06",
            "2000.00",
            "CNY",
            "bank_transfer",
            "scheduled",
            "",
            "",
        ),
    ),
)

# Households and relations are specified in their own module, built on the helpers above.
from .specs_household import HOUSEHOLDS, RELATIONS  # noqa: E402

# In dependency order: a kind's rows may refer to kinds listed before it.
KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        HOUSEHOLDS,
        CUSTOMERS,
        RELATIONS,
        CONTACTS,
        CONSENTS,
        PRODUCTS,
        POLICIES,
        PREMIUMS,
        ATTEMPTS,
        DISBURSEMENTS,
    )
}
