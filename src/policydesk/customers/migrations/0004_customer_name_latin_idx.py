"""Indexes for the customer search: the pinyin name (lower-cased, as typed), and the name
index extended by branch and id, so that a name prefix is answered from the index alone."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_household_number"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="customer_name_idx"),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["name", "branch", "id"], name="customer_name_idx"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                django.db.models.functions.text.Lower("name_latin"),
                models.F("branch"),
                models.F("id"),
                models.F("name_latin"),
                name="customer_name_latin_idx",
            ),
        ),
    ]
