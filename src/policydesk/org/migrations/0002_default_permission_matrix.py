"""Load the default permission matrix (org/permission_matrix.toml) into the live tables."""

import tomllib
from pathlib import Path

from django.db import migrations

MATRIX = Path(__file__).resolve().parent.parent / "permission_matrix.toml"


def load(apps, schema_editor):
    RoleGrant = apps.get_model("org", "RoleGrant")
    RoleScope = apps.get_model("org", "RoleScope")
    data = tomllib.loads(MATRIX.read_text(encoding="utf-8"))
    for role, entry in data["roles"].items():
        RoleScope.objects.get_or_create(
            role=role,
            defaults={"scope": entry["scope"], "requires_second_factor": entry.get("second_factor", False)},
        )
        for action in entry["actions"]:
            RoleGrant.objects.get_or_create(role=role, action=action)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
