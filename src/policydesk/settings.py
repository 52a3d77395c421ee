"""PolicyDesk settings: one module, configured from the environment.

Every value that may come from the environment goes through the small typed helpers
below; a malformed value stops the process with ImproperlyConfigured instead of
running half-configured.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from error


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


ENVIRONMENT = env_str("POLICYDESK_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"POLICYDESK_ENV must be development, test or production, got {ENVIRONMENT!r}."
    )
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("POLICYDESK_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("POLICYDESK_DEBUG cannot be on in production.")

# Development has a fixed key so a fresh clone runs at once; production must bring its own.
SECRET_KEY = (
    env_str("POLICYDESK_SECRET_KEY")
    if PRODUCTION
    else env_str("POLICYDESK_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdef")
)
if PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("POLICYDESK_SECRET_KEY must be at least 50 random characters.")
# Key for personal data encrypted at rest (32 bytes, base64). Development uses a fixed key so
# a fresh clone runs; production must bring its own and keep it apart from the database.
POLICYDESK_FIELD_KEY = (
    env_str("POLICYDESK_FIELD_KEY")
    if PRODUCTION
    else env_str("POLICYDESK_FIELD_KEY", "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=")
)
ALLOWED_HOSTS = env_list(
    "POLICYDESK_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("POLICYDESK_ALLOWED_HOSTS is required in production.")
CSRF_TRUSTED_ORIGINS = env_list("POLICYDESK_CSRF_TRUSTED_ORIGINS", [])

DATA_DIR = Path(env_str("POLICYDESK_DATA_DIR", str(PROJECT_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "policydesk.core",
    "policydesk.org",
    "policydesk.customers",
    "policydesk.policies",
    "policydesk.imports",
    "policydesk.cases",
    "policydesk.complaints",
    "policydesk.newbusiness",
    "policydesk.servicing",
    "policydesk.claims",
    "policydesk.counter",
    "policydesk.callbacks",
    "policydesk.monitoring",
    "policydesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "policydesk.core.middleware.RequestContextMiddleware",
    "policydesk.core.middleware.NulByteMiddleware",
    "policydesk.org.session_user.SessionUserMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "policydesk.core.middleware_pages.PageMessageMiddleware",
    "policydesk.org.middleware.SessionLifetimeMiddleware",
    "policydesk.org.middleware.SecondFactorMiddleware",
    "policydesk.core.middleware.BranchTimezoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "policydesk.core.middleware_pages.PageCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "policydesk.urls"
WSGI_APPLICATION = "policydesk.wsgi.application"
AUTH_USER_MODEL = "org.Staff"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "policydesk.core.context_processors.shell",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# SQLite (WAL, immediate transactions so concurrent writers queue instead of failing with
# "database is locked" half-way through) is the embedded default; PostgreSQL via DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("POLICYDESK_SQLITE_PATH", str(DATA_DIR / "policydesk.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": env_str("POLICYDESK_SQLITE_TEST_PATH", ":memory:")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work ------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("POLICYDESK_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "scheduled"],
    }
}

# --- Authentication -------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "policydesk.org.backends.StaffBackend",
]
LOGIN_URL = "org:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "org:login"

AXES_FAILURE_LIMIT = env_int("POLICYDESK_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = env_int("POLICYDESK_LOCKOUT_MINUTES", 30) / 60  # hours
# Lock the account, not the address: a branch's counters share one NAT address, and locking
# it would shut the whole branch out after five typos (hence axes.W006 is silenced below).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "policydesk.org.views_auth.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Database sessions, read through a compiled statement (core/sessions.py); inside a request
# the session's user comes in the same statement (org/session_user.py).
SESSION_ENGINE = "policydesk.org.session_user"
# Idle time-out: the cookie lives this long after the last request.
SESSION_COOKIE_AGE = env_int("POLICYDESK_SESSION_IDLE_MINUTES", 30) * 60
# The idle expiry is renewed by org.middleware.SessionLifetimeMiddleware at most once per
# POLICYDESK_SESSION_RENEW_SECONDS, not by a session write on every request.
SESSION_SAVE_EVERY_REQUEST = False
POLICYDESK_SESSION_RENEW_SECONDS = env_int("POLICYDESK_SESSION_RENEW_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Absolute time-out: a session ends this long after log-in, however busy.
POLICYDESK_SESSION_ABSOLUTE_MINUTES = env_int("POLICYDESK_SESSION_ABSOLUTE_MINUTES", 12 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = "PolicyDesk"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # storage; pages show the acting user's branch time zone
POLICYDESK_DEFAULT_BRANCH_TIMEZONE = env_str("POLICYDESK_DEFAULT_TIMEZONE", "Asia/Shanghai")

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
# Development serves static files straight from the apps (WhiteNoise's finders);
# production serves the collected copy.
STATIC_ROOT: Path | None = (
    Path(env_str("POLICYDESK_STATIC_ROOT", str(PROJECT_DIR / "staticfiles")))
    if PRODUCTION or os.environ.get("POLICYDESK_STATIC_ROOT")
    else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "policydesk.core.staticfiles.PackageFilesFinder",  # plotly.min.js from the plotly package
]

# --- Security headers -----------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("POLICYDESK_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("POLICYDESK_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- API ------------------------------------------------------------------------------
NINJA_PAGINATION_MAX_LIMIT = 200
POLICYDESK_IDEMPOTENCY_HOURS = env_int("POLICYDESK_IDEMPOTENCY_HOURS", 24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("POLICYDESK_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Imports (imports.bulk): a file of at least this many rows, and of at least as many as its
# table holds, builds the table's secondary indexes once at the end (0: never); the lock
# that needs is waited for this long, and the index build may use this much memory.
IMPORT_BULK_MIN_ROWS = env_int("POLICYDESK_IMPORT_BULK_MIN_ROWS", 50_000)
IMPORT_BULK_LOCK_TIMEOUT = env_str("POLICYDESK_IMPORT_BULK_LOCK_TIMEOUT", "5s")
IMPORT_INDEX_BUILD_MEMORY = env_str("POLICYDESK_IMPORT_INDEX_BUILD_MEMORY", "256MB")
