"""Households get a business key (`number`) so imports can upsert them.

Existing households are numbered like the ones PolicyDesk makes from now on: the column is
added nullable, filled in batches, then made unique and required.
"""

import uuid

from django.db import migrations, models

import policydesk.customers.models

BATCH = 2000


def number_existing_households(apps, schema_editor):
    household_model = apps.get_model("customers", "Household")
    pending = household_model.objects.filter(number__isnull=True).order_by("pk")
    while batch := list(pending[:BATCH]):
        for household in batch:
            household.number = f"HH{uuid.uuid4().hex[:16].upper()}"
        household_model.objects.bulk_update(batch, ["number"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="number",
            field=models.CharField(max_length=32, null=True, verbose_name="household number"),
        ),
        migrations.RunPython(number_existing_households, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="household",
            name="number",
            field=models.CharField(
                default=policydesk.customers.models.new_household_number,
                max_length=32,
                unique=True,
                verbose_name="household number",
            ),
        ),
    ]
