"""Settings: loud failures on bad environment values, the production profile, SQLite WAL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from policydesk import settings as project_settings

PRODUCTION_ENV = {
    "POLICYDESK_ENV": "production",
    "POLICYDESK_SECRET_KEY": "x7#kP2!vQ9zL4mN8wR1tY6uJ3hG5fD0sA_eC-bV+nM@qWx7#kP2!vQ9zL4mN8",
    "POLICYDESK_ALLOWED_HOSTS": "policydesk.example.com",
    "POLICYDESK_FIELD_KEY": "cHJvZHVjdGlvbi10ZXN0LWtleS0zMi1ieXRlcy1sb24=",
}


def run_policydesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POLICYDESK_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "policydesk.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing_under_the_production_profile(tmp_path: Path) -> None:
    result = run_policydesk(
        "check",
        "--deploy",
        "--fail-level",
        "DEBUG",
        env={**PRODUCTION_ENV, "POLICYDESK_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "POLICYDESK_SECRET_KEY"}
    result = run_policydesk("check", env={**env, "POLICYDESK_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "POLICYDESK_SECRET_KEY is required" in result.stderr


def test_a_malformed_boolean_stops_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYDESK_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="POLICYDESK_DEBUG must be a boolean"):
        project_settings.env_bool("POLICYDESK_DEBUG", default=False)


def test_a_malformed_integer_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYDESK_SESSION_IDLE_MINUTES", "thirty")
    with pytest.raises(ImproperlyConfigured, match="POLICYDESK_SESSION_IDLE_MINUTES"):
        project_settings.env_int("POLICYDESK_SESSION_IDLE_MINUTES", 30)


def test_storage_is_utc_and_branches_default_to_shanghai() -> None:
    assert project_settings.TIME_ZONE == "UTC"
    assert project_settings.USE_TZ is True
    assert project_settings.POLICYDESK_DEFAULT_BRANCH_TIMEZONE == "Asia/Shanghai"


def test_passwords_are_hashed_with_argon2_outside_tests() -> None:
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="SQLite-specific")
def test_the_embedded_database_runs_in_wal_mode(tmp_path: Path) -> None:
    database = tmp_path / "wal.sqlite3"
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode');"
        "print(cursor.fetchone()[0])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POLICYDESK_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "policydesk.settings",
            "POLICYDESK_SQLITE_PATH": str(database),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "wal", result.stderr
