"""API of the organisation: branches, teams, staff, the permission matrix, API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from policydesk.core.access import can, require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id
from policydesk.core.errors import DomainError, fields_renamed
from policydesk.core.idempotency import run_idempotent
from policydesk.core.masking import mask_email

from . import selectors, services
from .models import Language, Role, Skill, Staff

router = Router(tags=["organisation"])
# Services name fields by model attribute; the API's inputs carry ids.
API_FIELD_NAMES = {"branch": "branch_id", "team": "team_id"}


class BranchOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    timezone: str
    calendar_region: str


class TeamOut(Schema):
    id: int
    branch_id: int
    code: str
    name: str
    kind: str


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    role: str
    branch_id: int | None
    team_id: int | None
    languages: list[str]
    skills: list[str]
    is_active: bool


class StaffPageOut(Schema):
    items: list[StaffOut]
    next_cursor: int | None


class StaffIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=128)
    role: Role
    branch_id: Id | None = None
    team_id: Id | None = None
    display_name: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    languages: list[str] = []
    skills: list[str] = []


class DisableIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    branch_id: Id | None = None
    expires_at: dt.datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    role: str
    branch_id: int | None
    owner_id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    secret: str | None = Field(
        None, description="The bearer value; returned once, null when replayed."
    )


class RoleMatrixOut(Schema):
    label: str
    scope: str
    second_factor: bool
    actions: list[str]


def staff_out(staff: Staff, viewer: Any) -> dict[str, Any]:
    """Staff as the viewer may see them: e-mail masked unless the viewer manages staff."""
    email = staff.email if can(viewer, "org.staff.manage") else mask_email(staff.email)
    return {
        "id": staff.pk,
        "username": staff.username,
        "display_name": staff.display_name,
        "email": email if staff.email else "",
        "role": staff.role,
        "branch_id": staff.branch_id,
        "team_id": staff.team_id,
        "languages": [language.code for language in staff.languages.all()],
        "skills": [skill.code for skill in staff.skills.all()],
        "is_active": staff.is_active,
    }


def _by_codes(model: type[Language] | type[Skill], codes: list[str], field: str) -> list[Any]:
    found: list[Any] = list(model.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {item.code for item in found})
    if missing:
        raise DomainError(f"Unknown {field}: {', '.join(missing)}.", field=field)
    return found


@router.get("/branches", response={200: list[BranchOut], **ERRORS}, summary="Branches you may see")
def branch_list(request: HttpRequest) -> Any:
    return list(selectors.branches_visible(actor_of(request))[:500])


@router.get("/branches/{branch_id}", response={200: BranchOut, **ERRORS}, summary="One branch")
def branch_detail(request: HttpRequest, branch_id: Id) -> Any:
    return selectors.branch_get(actor_of(request), branch_id)


@router.get(
    "/teams", response={200: list[TeamOut], **ERRORS}, summary="Teams and counters you may see"
)
def team_list(request: HttpRequest, branch_id: Id | None = None) -> Any:
    return list(selectors.teams_visible(actor_of(request), branch_id=branch_id)[:500])


@router.get("/staff", response={200: StaffPageOut, **ERRORS}, summary="Staff, keyset-paginated")
def staff_list(
    request: HttpRequest,
    after: Id | None = None,
    limit: int = 50,
    search: str = "",
    role: str = "",
    branch_id: Id | None = None,
    include_disabled: bool = False,
) -> Any:
    actor = actor_of(request)
    page = selectors.staff_page(
        actor,
        after=after,
        limit=limit,
        search=search,
        role=role,
        branch_id=branch_id,
        include_disabled=include_disabled,
    )
    return {"items": [staff_out(s, actor) for s in page.items], "next_cursor": page.next_cursor}


@router.get("/staff/{staff_id}", response={200: StaffOut, **ERRORS}, summary="One staff member")
def staff_detail(request: HttpRequest, staff_id: Id) -> Any:
    actor = actor_of(request)
    return staff_out(selectors.staff_get(actor, staff_id), actor)


@router.post("/staff", response={201: StaffOut, **CREATE_ERRORS}, summary="Create a staff account")
def staff_create(request: HttpRequest, payload: StaffIn) -> Any:
    actor = actor_of(request)
    require(actor, "org.staff.manage")

    @fields_renamed(API_FIELD_NAMES)
    def create() -> tuple[int, dict[str, Any]]:
        branch = selectors.branch_get(actor, payload.branch_id) if payload.branch_id else None
        team = None
        if payload.team_id is not None:
            team = selectors.teams_visible(actor).filter(pk=payload.team_id).first()
            if team is None:
                raise DomainError("Unknown team.", field="team_id")
        staff = services.staff_create(
            username=payload.username,
            password=payload.password,
            role=payload.role,
            branch=branch,
            team=team,
            display_name=payload.display_name,
            email=payload.email,
            languages=_by_codes(Language, payload.languages, "languages"),
            skills=_by_codes(Skill, payload.skills, "skills"),
            by=actor,
        )
        return 201, staff_out(staff, actor)

    fingerprint = payload.dict()
    fingerprint["password"] = services.hash_secret(payload.password)
    status, body = run_idempotent(
        request, actor_id=actor.pk, operation="staff.create", payload=fingerprint, create=create
    )
    return Status(status, body)


@router.post(
    "/staff/{staff_id}/disable", response={200: StaffOut, **ERRORS}, summary="Disable an account"
)
def staff_disable(request: HttpRequest, staff_id: Id, payload: DisableIn) -> Any:
    actor = actor_of(request)
    staff = services.staff_disable(
        staff=selectors.staff_get(actor, staff_id), reason=payload.reason, by=actor
    )
    return staff_out(staff, actor)


@router.post(
    "/staff/{staff_id}/enable", response={200: StaffOut, **ERRORS}, summary="Re-enable an account"
)
def staff_enable(request: HttpRequest, staff_id: Id) -> Any:
    actor = actor_of(request)
    staff = services.staff_enable(staff=selectors.staff_get(actor, staff_id), by=actor)
    return staff_out(staff, actor)


@router.get(
    "/permissions",
    response={200: dict[str, RoleMatrixOut], **ERRORS},
    summary="The permission matrix",
)
def permission_matrix(request: HttpRequest) -> Any:
    return selectors.permission_matrix(actor_of(request))


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="API tokens")
def token_list(request: HttpRequest) -> Any:
    return list(selectors.tokens_visible(actor_of(request))[:500])


@router.post(
    "/tokens", response={201: TokenCreatedOut, **CREATE_ERRORS}, summary="Issue an API token"
)
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    actor = actor_of(request)
    require(actor, "org.token.manage")

    @fields_renamed(API_FIELD_NAMES)
    def create() -> tuple[int, dict[str, Any]]:
        branch = selectors.branch_get(actor, payload.branch_id) if payload.branch_id else None
        token, secret = services.token_issue(
            owner=actor,
            name=payload.name,
            role=payload.role,
            branch=branch,
            expires_at=payload.expires_at,
            by=actor,
        )
        body = TokenCreatedOut.from_orm(token).model_dump(mode="json")
        body["secret"] = secret
        return 201, body

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="token.create",
        payload=payload.dict(),
        create=create,
        redact=lambda body: {**body, "secret": None},
    )
    return Status(status, body)


@router.post(
    "/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, summary="Revoke an API token"
)
def token_revoke(request: HttpRequest, token_id: Id) -> Any:
    actor = actor_of(request)
    return services.token_revoke(token=selectors.token_get(actor, token_id), by=actor)
