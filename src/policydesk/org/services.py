"""Writes to the organisation: branches, teams, staff accounts, the permission matrix, tokens.

Each function validates, writes atomically and records an audit event. `by=None` means the
system itself (a migration, the demo loader, an operator's command line).
"""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require
from policydesk.core.audit import audit_record, snapshot
from policydesk.core.errors import DomainError

from .models import (
    ApiToken,
    Branch,
    BranchKind,
    CalendarRegion,
    Company,
    Language,
    Role,
    RoleGrant,
    RoleScope,
    Scope,
    Skill,
    Staff,
    StaffSession,
    Team,
    TeamKind,
)
from .permission_matrix import load_defaults

STAFF_AUDIT_FIELDS = [
    "username",
    "display_name",
    "email",
    "role",
    "branch",
    "team",
    "is_active",
    "languages",
    "skills",
]
TOKEN_PREFIX = "pdk_"  # noqa: S105 - a public marker, not a secret


def _require(by: Staff | None, action: str) -> None:
    if by is not None:
        require(by, action)


# --- Permission matrix -------------------------------------------------------------------


@transaction.atomic
def permissions_sync(*, by: Staff | None = None) -> int:
    """Add the default grants and scopes that the live matrix lacks; return rows added."""
    _require(by, "org.permissions.edit")
    defaults = load_defaults()
    added = 0
    for role in defaults.roles.values():
        _, created = RoleScope.objects.get_or_create(
            role=role.role,
            defaults={"scope": role.scope, "requires_second_factor": role.second_factor},
        )
        added += int(created)
        for action in role.actions:
            _, created = RoleGrant.objects.get_or_create(role=role.role, action=action)
            added += int(created)
    if added:
        audit_record(
            action="org.permissions.sync",
            actor=by,
            object_type="org.rolegrant",
            after={"rows_added": added},
        )
    return added


@transaction.atomic
def role_grant_set(*, role: str, action: str, granted: bool, by: Staff | None) -> None:
    """Grant or withdraw one action from one role in the live matrix."""
    _require(by, "org.permissions.edit")
    if role not in Role.values:
        raise DomainError(_("Unknown role %(role)s.") % {"role": role}, field="role")
    if action not in load_defaults().actions:
        raise DomainError(_("Unknown action %(action)s.") % {"action": action}, field="action")
    exists = RoleGrant.objects.filter(role=role, action=action, granted=True).exists()
    if exists == granted:
        return
    RoleGrant.objects.update_or_create(role=role, action=action, defaults={"granted": granted})
    audit_record(
        action="org.permissions.change",
        actor=by,
        object_type="org.rolegrant",
        object_id=f"{role}:{action}",
        before={"granted": exists},
        after={"granted": granted},
    )


# --- Branches and teams ------------------------------------------------------------------


def _check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise DomainError(
            _("Unknown time zone %(name)s.") % {"name": name}, field="timezone"
        ) from error


@transaction.atomic
def company_create(*, code: str, name: str, name_en: str = "", by: Staff | None) -> Company:
    _require(by, "org.staff.manage")
    if Company.objects.filter(code=code).exists():
        raise DomainError(_("A company with code %(code)s exists.") % {"code": code}, field="code")
    company = Company.objects.create(code=code, name=name, name_en=name_en)
    audit_record(action="org.company.create", actor=by, target=company, after={"name": name})
    return company


@transaction.atomic
def branch_create(
    *,
    company: Company,
    code: str,
    name: str,
    kind: str,
    parent: Branch | None = None,
    name_en: str = "",
    timezone_name: str = "Asia/Shanghai",
    calendar_region: str = CalendarRegion.MAINLAND,
    by: Staff | None,
) -> Branch:
    _require(by, "org.staff.manage")
    if kind not in BranchKind.values:
        raise DomainError(_("Unknown branch kind %(kind)s.") % {"kind": kind}, field="kind")
    if calendar_region not in CalendarRegion.values:
        raise DomainError(
            _("Unknown holiday calendar %(calendar)s.") % {"calendar": calendar_region},
            field="calendar_region",
        )
    _check_timezone(timezone_name)
    if Branch.objects.filter(code=code).exists():
        raise DomainError(_("A branch with code %(code)s exists.") % {"code": code}, field="code")
    if parent is not None and parent.company_id != company.pk:
        raise DomainError(_("The parent branch belongs to another company."), field="parent")
    branch = Branch.objects.create(
        company=company,
        parent=parent,
        code=code,
        name=name,
        name_en=name_en,
        kind=kind,
        timezone=timezone_name,
        calendar_region=calendar_region,
    )
    branch.path = f"{parent.path if parent else '/'}{branch.pk}/"
    branch.save(update_fields=["path"])
    audit_record(
        action="org.branch.create",
        actor=by,
        target=branch,
        branch_id=branch.pk,
        after=snapshot(branch, ["code", "name", "kind", "parent", "timezone", "calendar_region"]),
    )
    return branch


@transaction.atomic
def team_create(
    *,
    branch: Branch,
    code: str,
    name: str,
    kind: str = TeamKind.TEAM,
    name_en: str = "",
    by: Staff | None,
) -> Team:
    _require(by, "org.staff.manage")
    if kind not in TeamKind.values:
        raise DomainError(_("Unknown team kind %(kind)s.") % {"kind": kind}, field="kind")
    if Team.objects.filter(branch=branch, code=code).exists():
        raise DomainError(
            _("Branch %(branch)s already has a team %(code)s.")
            % {"branch": branch.code, "code": code},
            field="code",
        )
    team = Team.objects.create(branch=branch, code=code, name=name, name_en=name_en, kind=kind)
    audit_record(
        action="org.team.create",
        actor=by,
        target=team,
        after=snapshot(team, ["branch", "code", "name", "kind"]),
    )
    return team


# --- Staff ---------------------------------------------------------------------------------


def _check_placement(role: str, branch: Branch | None, team: Team | None) -> None:
    if role not in Role.values:
        raise DomainError(_("Unknown role %(role)s.") % {"role": role}, field="role")
    scope = RoleScope.objects.filter(role=role).values_list("scope", flat=True).first()
    if scope != Scope.COMPANY and branch is None:
        raise DomainError(_("This role works in a branch: choose one."), field="branch")
    if team is not None and (branch is None or team.branch_id != branch.pk):
        raise DomainError(_("The team belongs to another branch."), field="team")


def _check_password(password: str, user: Staff | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password") from error


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    role: str,
    branch: Branch | None,
    team: Team | None = None,
    display_name: str = "",
    email: str = "",
    languages: Iterable[Language] = (),
    skills: Iterable[Skill] = (),
    is_demo: bool = False,
    by: Staff | None,
) -> Staff:
    _require(by, "org.staff.manage")
    username = username.strip()
    if not username:
        raise DomainError(_("A username is required."), field="username")
    if Staff.objects.filter(username__iexact=username).exists():
        raise DomainError(
            _("The username %(username)s is taken.") % {"username": username}, field="username"
        )
    _check_placement(role, branch, team)
    staff = Staff(
        username=username,
        role=role,
        branch=branch,
        company=branch.company if branch else (by.company if by else None),
        team=team,
        display_name=display_name,
        email=email,
        is_demo=is_demo,
        is_staff=role == Role.ADMINISTRATOR,
    )
    _check_password(password, staff)
    staff.set_password(password)
    staff.save()
    staff.languages.set(list(languages))
    staff.skills.set(list(skills))
    audit_record(
        action="org.staff.create",
        actor=by,
        target=staff,
        after=snapshot(staff, STAFF_AUDIT_FIELDS),
    )
    return staff


@transaction.atomic
def staff_update(*, staff: Staff, changes: dict[str, Any], by: Staff | None) -> Staff:
    """Change role, placement, names, languages or skills of a staff member."""
    _require(by, "org.staff.manage")
    allowed = {"display_name", "email", "role", "branch", "team", "languages", "skills"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(f"Cannot change {sorted(unknown)}.", field=sorted(unknown)[0])
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    before = snapshot(staff, STAFF_AUDIT_FIELDS)
    role = changes.get("role", staff.role)
    branch = changes.get("branch", staff.branch)
    team = changes.get("team", staff.team)
    _check_placement(role, branch, team)
    for name in ("display_name", "email", "role", "branch", "team"):
        if name in changes:
            setattr(staff, name, changes[name])
    staff.is_staff = staff.role == Role.ADMINISTRATOR
    staff.save()
    if "languages" in changes:
        staff.languages.set(list(changes["languages"]))
    if "skills" in changes:
        staff.skills.set(list(changes["skills"]))
    after = snapshot(staff, STAFF_AUDIT_FIELDS)
    if after != before:
        audit_record(action="org.staff.update", actor=by, target=staff, before=before, after=after)
    return staff


def _end_sessions(staff: Staff) -> int:
    keys = list(StaffSession.objects.filter(staff=staff).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    StaffSession.objects.filter(staff=staff).delete()
    return len(keys)


@transaction.atomic
def staff_disable(*, staff: Staff, reason: str, by: Staff | None) -> Staff:
    """Disable an account: it can no longer sign in, its open sessions end at once."""
    _require(by, "org.staff.manage")
    if by is not None and by.pk == staff.pk:
        raise DomainError(_("You cannot disable your own account."), field="staff")
    if not reason.strip():
        raise DomainError(_("Say why the account is disabled."), field="reason")
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    if not staff.is_active:
        return staff
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    ended = _end_sessions(staff)
    audit_record(
        action="org.staff.disable",
        actor=by,
        target=staff,
        before={"is_active": True},
        after={"is_active": False, "reason": reason, "sessions_ended": ended},
    )
    return staff


@transaction.atomic
def staff_enable(*, staff: Staff, by: Staff | None) -> Staff:
    _require(by, "org.staff.manage")
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    if staff.is_active:
        return staff
    staff.is_active = True
    staff.save(update_fields=["is_active"])
    audit_record(
        action="org.staff.enable",
        actor=by,
        target=staff,
        before={"is_active": False},
        after={"is_active": True},
    )
    return staff


@transaction.atomic
def staff_set_password(*, staff: Staff, password: str, by: Staff | None) -> None:
    if by is not None and by.pk != staff.pk:
        require(by, "org.staff.manage")
    _check_password(password, staff)
    staff.set_password(password)
    staff.save(update_fields=["password"])
    audit_record(action="org.staff.set_password", actor=by, target=staff)


def staff_session_register(*, staff: Staff, session_key: str, client_address: str) -> None:
    """Remember that this session belongs to this staff member (at log-in)."""
    StaffSession.objects.update_or_create(
        session_key=session_key,
        defaults={"staff": staff, "client_address": client_address or None},
    )


# --- API tokens ----------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    # Secrets are 32 random bytes, so a plain digest suffices; no slow hash is needed.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def token_issue(
    *,
    owner: Staff,
    name: str,
    role: str,
    branch: Branch | None,
    expires_at: datetime | None = None,
    by: Staff | None,
) -> tuple[ApiToken, str]:
    """Issue a token; the plain value is returned once and never stored."""
    _require(by, "org.token.manage")
    if not name.strip():
        raise DomainError(_("Name the integration the token is for."), field="name")
    if role == Role.ADMINISTRATOR:
        raise DomainError(_("Tokens cannot carry the administrator role."), field="role")
    _check_placement(role, branch, None)
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry date is in the past."), field="expires_at")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        owner=owner,
        name=name.strip(),
        prefix=prefix,
        secret_hash=hash_secret(secret),
        role=role,
        branch=branch,
        expires_at=expires_at,
    )
    audit_record(
        action="org.token.issue",
        actor=by,
        target=token,
        branch_id=token.branch_id,
        after=snapshot(token, ["name", "prefix", "role", "branch", "owner", "expires_at"]),
    )
    return token, f"{TOKEN_PREFIX}{prefix}.{secret}"


@transaction.atomic
def token_revoke(*, token: ApiToken, by: Staff | None) -> ApiToken:
    _require(by, "org.token.manage")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = by
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action="org.token.revoke",
        actor=by,
        target=token,
        branch_id=token.branch_id,
        after={"revoked_at": token.revoked_at},
    )
    return token


def token_authenticate(raw: str) -> Staff | None:
    """The acting principal of a bearer token: its owner, with the token's role and branch."""
    if not raw.startswith(TOKEN_PREFIX) or "." not in raw:
        return None
    prefix, _, secret = raw[len(TOKEN_PREFIX) :].partition(".")
    token = ApiToken.objects.select_related("owner", "branch").filter(prefix=prefix).first()
    if token is None or not token.is_active or not token.owner.is_active:
        return None
    if not secrets.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    now = timezone.now()
    # Touch at most once a minute: the row is hot for busy integrations.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    actor = Staff.objects.get(pk=token.owner_id)
    actor.role = token.role
    actor.branch_id = token.branch_id
    actor.team_id = None
    actor._pd_api_token = token  # type: ignore[attr-defined]
    return actor
