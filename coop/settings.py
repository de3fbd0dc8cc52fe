"""Settings for coop, read from the environment with safe local defaults.

DATABASE_URL   database (default: SQLite file db.sqlite3 beside manage.py)
DJANGO_DEBUG   on for local use by default; set 0 in production
SECRET_KEY     required when debug is off
ALLOWED_HOSTS  comma-separated host names (default: localhost names when debugging)
TRUSTED_PROXY_COUNT  reverse proxies in front of the app (default 0): client addresses and
               HTTPS are then read from X-Forwarded-For and X-Forwarded-Proto
SECURE_SSL_REDIRECT  redirect http to https (default: on when debug is off)
LOGIN_FAILURE_LIMIT, LOGIN_COOLOFF_MINUTES  login throttling (default 5 failures, 15 minutes)
SESSION_HOURS  how long an admin session lasts (default 8)
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    """Like env.bool, but a value that is neither yes nor no is an error, not a silent False."""
    value = env.str(name, default=str(int(default))).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (or true/false), not {value!r}.")


DEBUG = env_bool("DJANGO_DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-development-key")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DJANGO_DEBUG is off: set it to a long random value, "
            "e.g. from python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    "import_export",
    "curation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "curation.middleware.RefuseNulCharactersMiddleware",
    "curation.middleware.DatabaseBusyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "coop.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "coop.wsgi.application"


def database_from_environment() -> dict:
    database = env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at the start
        # of a transaction, so a second writer waits (up to the timeout) instead of failing
        # half-way with "database is locked".
        database["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # Not temp_store=MEMORY: in memory, the statement journal inside a savepoint (an
            # atomic block within another) grew with every row written, and an import's
            # 100,000 UPDATEs took 470 s instead of 6.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            **database.get("OPTIONS", {}),
        }
    elif database["ENGINE"] == "django.db.backends.postgresql":
        # Index reads cost about what sequential ones do on the SSDs a server has today, as
        # PostgreSQL's manual says; at its default (4) the planner reads a whole table for
        # a download's 2,000 records rather than their index entries. DATABASE_URL's own
        # ?options= replaces this.
        database["OPTIONS"] = {
            "options": "-c random_page_cost=1.1",
            **database.get("OPTIONS", {}),
        }
    # A connection serves a worker's requests for a minute rather than one request: opening
    # one costs more than a record's page (PostgreSQL starts a backend whose catalog caches
    # are empty; SQLite reads the schema again and starts with an empty page cache).
    # ?conn_max_age=0 in DATABASE_URL closes it after every request again.
    database.setdefault("CONN_MAX_AGE", 60)
    database.setdefault("CONN_HEALTH_CHECKS", True)
    return database


DATABASES = {"default": database_from_environment()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
FORMAT_MODULE_PATH = ["coop.formats"]  # dates in one style per language
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Spreadsheet imports: largest upload, and largest size an XLSX may unpack to.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 2**20)
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=200 * 2**20)
# An uploaded sheet left unconfirmed this long is discarded (see ImportBatch).
IMPORT_KEEP_DAYS = env.int("IMPORT_KEEP_DAYS", default=14)
# Who `manage.py import` records as the importer (an inactive account is created if missing).
IMPORT_USER = env.str("IMPORT_USER", default="import-script")
# django-import-export (formats: curation.admin.spreadsheets): editors import, viewers export.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "curation.spreadsheets.storage.ImportBatchStorage"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Its own escaping deletes a leading "=" and ignores + - @: coop's cells.neutralise() instead.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 2**20

LOGIN_URL = "admin:login"

# Accounts: guessing is throttled per user name *and* address, with a cool-off, so a guesser
# neither locks the real user out for good nor, behind a proxy, locks out everyone at once.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = env.int("SESSION_HOURS", default=8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Transport and browser protections; `manage.py check --deploy` is clean with debug off.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Public pages are cached until curated data changes (0 turns caching off). CACHE_URL picks
# the backend: per-process memory by default; invalidation is shared through the database.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=600)
# The licence of the public data, as an SPDX identifier (named in /data/datapackage.json).
DATA_LICENSE = env.str("DATA_LICENSE", default="CC-BY-4.0")
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# The country whose cooperation the database follows: charts show the others as its partners.
COOP_HOME_COUNTRY = env.str("COOP_HOME_COUNTRY", default="VN")

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"curation": {"handlers": ["console"], "level": "INFO"}},
}
