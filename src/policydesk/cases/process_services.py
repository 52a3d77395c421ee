"""Writes to process definitions: drafts, edits, publication, and the shipped defaults.

Only the Head of Customer Service (cases.process.edit) changes processes. A published
version is frozen: editing means drafting a new version (a copy of the current one),
changing it, and publishing it; running cases keep the version they started on.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require
from policydesk.core.audit import audit_record
from policydesk.core.errors import ConflictError, DomainError
from policydesk.org.models import Staff

from .definitions import check_definition, read_definition, write_definition
from .models import Process, ProcessVersion, SlaPolicy, SlaTarget, VersionStatus

DEFAULTS_DIR = Path(__file__).parent / "processes"


def _require_editor(by: Staff | None) -> None:
    if by is not None:
        require(by, "cases.process.edit")


@transaction.atomic
def process_create(
    *,
    code: str,
    name: str,
    name_en: str = "",
    description: str = "",
    number_prefix: str = "CS",
    default_team_code: str = "",
    sla_policy: SlaPolicy | None = None,
    by: Staff | None,
) -> Process:
    _require_editor(by)
    if Process.objects.filter(code=code).exists():
        raise ConflictError(
            _("A process with code %(code)s exists.") % {"code": code}, field="code"
        )
    if not number_prefix.isalnum() or len(number_prefix) > 8:
        raise DomainError(_("Use up to 8 letters or digits."), field="number_prefix")
    process = Process.objects.create(
        code=code,
        name=name,
        name_en=name_en,
        description=description,
        number_prefix=number_prefix.upper(),
        default_team_code=default_team_code,
        sla_policy=sla_policy,
    )
    audit_record(action="cases.process.create", actor=by, target=process, after={"code": code})
    return process


@transaction.atomic
def process_version_draft(*, process: Process, by: Staff | None) -> ProcessVersion:
    """A new draft: a copy of the current version, or empty for a new process.

    One draft at a time per process, so two editors cannot publish over each other.
    """
    _require_editor(by)
    Process.objects.select_for_update().filter(pk=process.pk).first()
    existing = process.versions.filter(status=VersionStatus.DRAFT).first()
    if existing is not None:
        raise ConflictError(
            _("Version %(n)s is already a draft: edit or discard it.") % {"n": existing.number},
            field="process",
        )
    number = (process.versions.aggregate(Max("number"))["number__max"] or 0) + 1
    draft = ProcessVersion.objects.create(process=process, number=number, created_by=by)
    if process.current_version is not None:
        write_definition(draft, read_definition(process.current_version))
    audit_record(action="cases.process.draft", actor=by, target=draft, after={"version": number})
    return draft


def _editable(version: ProcessVersion) -> None:
    if not version.is_editable:
        raise ConflictError(
            _("Version %(n)s is published: draft a new version to change it.")
            % {"n": version.number},
            field="version",
        )


@transaction.atomic
def process_version_save(
    *, version: ProcessVersion, definition: dict[str, Any], notes: str = "", by: Staff | None
) -> ProcessVersion:
    """Replace a draft's states, checklists and transitions (checked first, all or nothing)."""
    _require_editor(by)
    version = ProcessVersion.objects.select_for_update().get(pk=version.pk)
    _editable(version)
    before = read_definition(version)
    write_definition(version, definition)
    version.notes = notes
    version.save(update_fields=["notes"])
    audit_record(
        action="cases.process.edit",
        actor=by,
        target=version,
        before={"definition": before},
        after={"definition": definition, "notes": notes},
    )
    return version


@transaction.atomic
def process_version_publish(*, version: ProcessVersion, by: Staff | None) -> ProcessVersion:
    """Freeze the draft and make it the version new cases start on."""
    _require_editor(by)
    version = (
        ProcessVersion.objects.select_for_update().select_related("process").get(pk=version.pk)
    )
    _editable(version)
    check_definition(read_definition(version))
    process = version.process
    previous = process.current_version
    if previous is not None:
        ProcessVersion.objects.filter(pk=previous.pk).update(status=VersionStatus.RETIRED)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = by
    version.save(update_fields=["status", "published_at", "published_by"])
    process.current_version = version
    process.save(update_fields=["current_version"])
    audit_record(
        action="cases.process.publish",
        actor=by,
        target=version,
        before={"version": previous.number if previous else None},
        after={"version": version.number},
    )
    return version


@transaction.atomic
def process_version_discard(*, version: ProcessVersion, by: Staff | None) -> None:
    _require_editor(by)
    version = ProcessVersion.objects.select_for_update().get(pk=version.pk)
    _editable(version)
    audit_record(
        action="cases.process.discard", actor=by, target=version, after={"version": version.number}
    )
    version.delete()


def _load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@transaction.atomic
def sla_policies_sync() -> int:
    """Add the shipped SLA policies the database lacks; changed ones are left alone."""
    added = 0
    # sla_policies.toml and one sla_policies_<app>.toml per process family.
    shipped: dict[str, Any] = {}
    for path in sorted(DEFAULTS_DIR.glob("sla_policies*.toml")):
        shipped.update(_load_toml(path)["policies"])
    for code, item in shipped.items():
        if SlaPolicy.objects.filter(code=code).exists():
            continue
        policy = SlaPolicy.objects.create(
            code=code,
            name=item["name"],
            name_en=item.get("name_en", ""),
            description=item.get("description", ""),
        )
        for position, target in enumerate(item["targets"]):
            SlaTarget.objects.create(
                policy=policy,
                code=target["code"],
                name=target["name"],
                name_en=target.get("name_en", ""),
                mode=target["mode"],
                amount=target["amount"],
                warn_fraction=str(target.get("warn_fraction", "0.20")),
                stops_on=target["stops_on"],
                pause_categories=target.get("pause_categories", []),
                is_regulatory=bool(target.get("is_regulatory", False)),
                starts_in_state=target.get("starts_in_state", ""),
                position=position,
            )
        added += 1
    return added


@transaction.atomic
def processes_sync() -> int:
    """Create the shipped processes the database lacks, each with version 1 published."""
    sla_policies_sync()
    added = 0
    for path in sorted(DEFAULTS_DIR.glob("*.toml")):
        if path.name.startswith(("sla_policies", "rules")):  # SLA policies and case rules
            continue
        data = _load_toml(path)
        meta = data["process"]
        if Process.objects.filter(code=meta["code"]).exists():
            continue
        process = process_create(
            code=meta["code"],
            name=meta["name"],
            name_en=meta.get("name_en", ""),
            description=meta.get("description", ""),
            number_prefix=meta.get("number_prefix", "CS"),
            default_team_code=meta.get("team", ""),
            sla_policy=SlaPolicy.objects.filter(code=meta.get("sla_policy", "")).first(),
            by=None,
        )
        draft = process_version_draft(process=process, by=None)
        process_version_save(
            version=draft,
            definition={"states": data["states"], "transitions": data.get("transitions", [])},
            notes=_("Shipped with PolicyDesk."),
            by=None,
        )
        process_version_publish(version=draft, by=None)
        added += 1
    return added
