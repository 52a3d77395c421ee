"""Load the root-cause taxonomy (complaints/root_causes.toml)."""

import tomllib
from pathlib import Path

from django.db import migrations

TAXONOMY = Path(__file__).resolve().parent.parent / "root_causes.toml"


def load(apps, schema_editor):
    RootCause = apps.get_model("complaints", "RootCause")
    data = tomllib.loads(TAXONOMY.read_text(encoding="utf-8"))
    for position, entry in enumerate(data["causes"]):
        RootCause.objects.get_or_create(
            code=entry["code"],
            defaults={"name": entry["name"], "name_en": entry["name_en"], "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
