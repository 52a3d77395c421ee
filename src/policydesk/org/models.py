"""Organisation: company → branch → team/counter, staff, roles, skills, API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Staff roles; what each may do is the permission matrix (RoleGrant), not code."""

    FRONT_TELLER = "front_teller", _("Front teller")  # 前台柜员: takes requests at the counter
    COUNTER_MANAGER = "counter_manager", _("Counter manager")  # 柜面经理: runs the hall and queue
    BACK_OFFICE = (
        "back_office",
        _("Back-office processor"),
    )  # 综合处理: processes behind the counter
    CALLBACK_AGENT = "callback_agent", _("Callback agent")  # 回访专员: post-sale calls
    CLAIMS_HANDLER = "claims_handler", _("Claims handler")  # 理赔: registers and settles claims
    CLAIMS_INVESTIGATOR = "claims_investigator", _("Claims investigator")  # 调查岗
    RELATIONSHIP_MANAGER = "relationship_manager", _("Relationship manager")  # watches accounts
    CAMPAIGN_MANAGER = "campaign_manager", _("Campaign manager")  # runs campaigns
    QUALITY_INSPECTOR = "quality_inspector", _("Quality inspector")  # inspections, training
    HEAD_OF_SERVICE = "head_of_service", _("Head of customer service")  # designs processes
    AUDITOR = "auditor", _("Auditor")  # reads the audit trail, changes nothing
    ADMINISTRATOR = "administrator", _("Administrator")  # accounts, tokens, configuration


class Scope(models.TextChoices):
    """How far a role sees."""

    COMPANY = "company", _("Whole company")  # every branch
    BRANCH_TREE = "branch_tree", _("Own branch and the branches under it")
    BRANCH = "branch", _("Own branch only")


class Company(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class BranchKind(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")  # 总公司
    PROVINCE = "province", _("Province branch")  # 省分公司
    CITY = "city", _("City branch")  # 市分公司
    COUNTY = "county", _("County branch")  # 县支公司


class CalendarRegion(models.TextChoices):
    """Which public-holiday calendar a branch works to."""

    MAINLAND = "CN", _("Mainland China")  # State Council schedule with make-up days
    HONG_KONG = "HK", _("Hong Kong")
    SINGAPORE = "SG", _("Singapore")


class Branch(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="branches")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=BranchKind.choices)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    calendar_region = models.CharField(
        _("holiday calendar"),
        max_length=2,
        choices=CalendarRegion.choices,
        default=CalendarRegion.MAINLAND,
    )
    # Materialised ancestry "/<id>/<id>/" so a subtree is one indexed prefix match;
    # maintained by org.services.branch_create.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class TeamKind(models.TextChoices):
    TEAM = "team", _("Team")
    COUNTER = "counter", _("Counter")  # a service window in the hall


class Team(models.Model):
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="teams")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["branch", "code"], name="team_code_unique_in_branch")
        ]
        ordering = ["branch_id", "code"]

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    """A language or dialect staff can serve in (e.g. Mandarin, Cantonese, Puxian 莆仙话)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    is_dialect = models.BooleanField(_("dialect"), default=False)

    class Meta:
        verbose_name = _("language or dialect")
        verbose_name_plural = _("languages and dialects")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """A competence used for routing work (e.g. claims, policy servicing, bancassurance)."""

    code = models.SlugField(max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Staff(AbstractUser):
    """A member of staff who signs in to PolicyDesk."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    employee_number = models.CharField(_("employee number"), max_length=32, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    languages = models.ManyToManyField(Language, blank=True, related_name="staff")
    skills = models.ManyToManyField(Skill, blank=True, related_name="staff")
    preferred_language = models.CharField(_("interface language"), max_length=8, default="zh-hans")
    is_demo = models.BooleanField(default=False, editable=False)

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        indexes = [
            # Used by the scoped staff list (branch filter, keyset on id).
            models.Index(fields=["branch", "id"], name="staff_branch_id_idx")
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleGrant(models.Model):
    """One cell of the permission matrix: this role may perform this action.

    Defaults come from org/permission_matrix.toml (synced by `policydesk permissions sync`);
    administrators may change the live matrix, and every change is audited.
    """

    role = models.CharField(max_length=32, choices=Role.choices)
    action = models.CharField(max_length=64)
    # A withdrawn grant keeps its row (granted=False) so that syncing the defaults again
    # does not give back what an administrator took away.
    granted = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "action"], name="role_grant_unique")]
        ordering = ["role", "action"]

    def __str__(self) -> str:
        return f"{self.role}: {self.action}"


class RoleScope(models.Model):
    """How far a role sees (company, branch tree or branch); part of the matrix data."""

    role = models.CharField(max_length=32, choices=Role.choices, unique=True)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    requires_second_factor = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.role}: {self.scope}"


class ApiToken(models.Model):
    """A bearer token for an integration, acting with its own role and branch."""

    owner = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)  # shown in lists; finds the row
    secret_hash = models.CharField(max_length=64)  # SHA-256 of the secret part
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="api_tokens"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class StaffSession(models.Model):
    """Which sessions belong to whom, so disabling an account ends them at once."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="sessions_open")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.session_key[:6]}…"
