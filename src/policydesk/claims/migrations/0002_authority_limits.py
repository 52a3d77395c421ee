"""Load the default claim authority limits (claims/authority_limits.toml)."""

import tomllib
from decimal import Decimal
from pathlib import Path

from django.db import migrations

LIMITS = Path(__file__).resolve().parent.parent / "authority_limits.toml"


def load(apps, schema_editor):
    AuthorityLimit = apps.get_model("claims", "AuthorityLimit")
    data = tomllib.loads(LIMITS.read_text(encoding="utf-8"))
    for entry in data["limits"]:
        AuthorityLimit.objects.get_or_create(
            role=entry["role"],
            defaults={"limit": Decimal(entry["limit"]), "currency": entry.get("currency", "CNY")},
        )


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
