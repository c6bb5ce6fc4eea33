"""Settings for Ambassadörsnätverket, read from the environment (see .env.example).

Every value is parsed strictly: a malformed value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
# The base URL of every link in email. Required in production: a default would silently send people to localhost.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000" if DEBUG else "").strip().rstrip("/")
if not SITE_URL:
    raise ImproperlyConfigured(
        "SITE_URL must be set when DJANGO_DEBUG is off: the public base URL used in emailed links, "
        "e.g. https://ambassador.kramfors.se."
    )
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https://.")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "crm.admin_app.AdminConfig",  # django.contrib.admin with our site: a second factor for staff (crm.two_factor)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "import_export",
    "anymail",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "crm",
    "network",
    "campaigns",
    "mypages",
    "pages",  # the pages that inform: about the network (/), contact, Lättläst
    "dashboard",  # the admin's start page and the monthly report; nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crm.security.SecurityHeadersMiddleware",  # Content-Security-Policy and Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "crm.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "crm.ratelimit.PublicPostRateLimitMiddleware",  # every public POST (crm/ratelimit.py)
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "crm.health.admin_banner",  # "email is not going out" for staff in the admin
                "crm.context_processors.sender_name",  # the network's one name, in every page's title
                "crm.context_processors.adapt",  # the reader's Anpassa choices (text size, contrast, spacing)
                "pages.context_processors.easy_read",  # the header's Lättläst link
            ],
        },
    },
]

# Widgets render with the project's templates too (templates/admin/widgets/: the admin's Markdown fields).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Django's SQLite backend, creating the database file's folder when it first connects (not here: importing
    # the settings must not write to the disk, e.g. in the Docker build).
    DATABASES["default"]["ENGINE"] = "crm.backends.sqlite3"
    # Workers, beat and the web server share the file: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # A file, not memory, so that a real Celery worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL")}
        if os.environ.get("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Logins: django-axes refuses a username from an IP address after AXES_FAILURE_LIMIT wrong passwords, for
# AXES_COOLOFF_TIME; the same user from another address, and other users from that address, can still log in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "crm.ratelimit.client_ip"  # the same TRUST_X_FORWARDED_FOR rule as the public forms
AXES_DISABLE_ACCESS_LOG = True  # no lasting record of every successful login (failed attempts expire with the cool-off)
AXES_VERBOSE = False  # no start-up banner; log lines name the lockout parameters only, masked
# Not in the admin: axes' pages are English-only and their clean-up action fails. A lockout ends by itself after
# the cool-off, or at once with `python manage.py axes_reset_username <username>`.
AXES_ENABLE_ADMIN = False
AXES_COOLOFF_MESSAGE = _("Too many failed logins for this user from your address. Try again in 15 minutes.")

# Two-factor authentication for staff (crm.two_factor, django-otp): an authenticator app's code (TOTP) or a
# recovery code. Required to reach the admin unless DJANGO_DEBUG is on; staff without one enrol at /admin/2fa/.
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Ambassadörsnätverket")

# Staff sessions: logged out after SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE after login at
# the latest (crm.middleware.SessionTimeoutMiddleware), instead of Django's two weeks.
SESSION_COOKIE_AGE = 8 * 3600
SESSION_IDLE_SECONDS = 3600

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic writes here (in the image at build time, /app/staticfiles); the folder is kept in the source tree,
# since WhiteNoise warns on every start without it. Not under VAR_DIR: static files belong to the code.
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Security: strict unless DEBUG (make run) is on.
# Behind a TLS-terminating proxy (DJANGO_BEHIND_PROXY), a request the proxy marks X-Forwarded-Proto: https is
# https. Only then: without a proxy that sets (and overwrites) that header, any client could claim https.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # plain-http health probes from the load balancer or compose
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Email
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "crm.mailbox.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
# Required with the SMTP backend and DEBUG off: a system check refuses to start without it, or when it names a test
# mail catcher (Mailpit), unless EMAIL_ALLOW_TEST_SINK says that is meant (campaigns.checks).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_ALLOW_TEST_SINK = env_bool("EMAIL_ALLOW_TEST_SINK", False)
# The network's one name towards people: the From name of every email, the emails' top line and the public pages'
# titles. DEFAULT_FROM_EMAIL, when not set, is this name and EMAIL_FROM_ADDRESS (only its address is used for From).
EMAIL_SENDER_NAME = env_str("EMAIL_SENDER_NAME", "Kramfors ambassadörer")
EMAIL_FROM_ADDRESS = env_str("EMAIL_FROM_ADDRESS", "ambassador@kramfors.se")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f'"{EMAIL_SENDER_NAME}" <{EMAIL_FROM_ADDRESS}>')
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The Date header in Swedish time (+0100, +0200 in summer), not "-0000": Django sets TZ to TIME_ZONE.
EMAIL_USE_LOCALTIME = True
MAILBOX_DIR = Path(env_str("MAILBOX_DIR", str(VAR_DIR / "mailbox")))
# The coordinator: a person, named in every email's footer and its Reply-To (people answer people). The demo (DEBUG)
# names one; in production the system check warns while any of the three is empty.
COORDINATOR_EMAIL = env_str("COORDINATOR_EMAIL", "maria.ek@kramfors.se" if DEBUG else "ambassador@kramfors.se")
# A recommendation from /tipsa/ is also emailed to COORDINATOR_EMAIL at once (besides the daily digest).
NOTIFY_COORDINATOR_OF_RECOMMENDATIONS = env_bool("NOTIFY_COORDINATOR_OF_RECOMMENDATIONS", True)
# Her name (empty: the emails say "the ambassador coordinator" in their language) and phone (in any common way of
# writing it, shown as Swedes write it).
COORDINATOR_NAME = env_str("COORDINATOR_NAME", "Maria Ek" if DEBUG else "")
COORDINATOR_PHONE = env_str("COORDINATOR_PHONE", "0612-800 00")
# A recommendation from /tipsa/ is followed up by the duty coordinator (a member of staff's username or email;
# empty: the first active member of staff) RECRUITMENT_FOLLOW_UP_DAYS after it came in ("Uppföljningar").
RECRUITMENT_DUTY_COORDINATOR = env_str("RECRUITMENT_DUTY_COORDINATOR", "")
RECRUITMENT_FOLLOW_UP_DAYS = env_int("RECRUITMENT_FOLLOW_UP_DAYS", 3)
# The outbox: batches per Celery task, retries with exponential backoff and jitter, the lease on "sending".
EMAIL_BATCH_SIZE = env_int("EMAIL_BATCH_SIZE", 100)
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8)
EMAIL_RETRY_BASE_SECONDS = env_float("EMAIL_RETRY_BASE_SECONDS", 30.0)
EMAIL_RETRY_MAX_SECONDS = env_float("EMAIL_RETRY_MAX_SECONDS", 3600.0)
# A row stays "sending" for at most the lease without news from its worker (a live worker renews it every quarter
# lease); then the sweeper, which runs every EMAIL_SWEEP_INTERVAL_SECONDS, takes it back and publishes it again.
EMAIL_SENDING_LEASE_SECONDS = env_int("EMAIL_SENDING_LEASE_SECONDS", 600)
EMAIL_SWEEP_GRACE_SECONDS = env_int("EMAIL_SWEEP_GRACE_SECONDS", 60)
EMAIL_SWEEP_INTERVAL_SECONDS = env_float("EMAIL_SWEEP_INTERVAL_SECONDS", 15.0)
# Open and click tracking at the ESP: off unless switched on (privacy by default).
EMAIL_TRACKING = env_bool("EMAIL_TRACKING", False)
# The ESP's quota, across all workers (0: no limit).
EMAIL_RATE_PER_MINUTE = env_int("EMAIL_RATE_PER_MINUTE", 0)

# Public forms: a form sent sooner than this after it was shown is shown again. At most FORM_RATE_LIMIT accepted
# submissions per client IP (high: a training room on one wifi shares an IP) and FORM_RATE_LIMIT_PER_ADDRESS per
# email address, per form and window (0: no limit).
FORM_MIN_FILL_SECONDS = env_float("FORM_MIN_FILL_SECONDS", 3.0)
FORM_RATE_LIMIT = env_int("FORM_RATE_LIMIT", 100)
FORM_RATE_LIMIT_PER_ADDRESS = env_int("FORM_RATE_LIMIT_PER_ADDRESS", 5)
FORM_RATE_WINDOW_SECONDS = env_int("FORM_RATE_WINDOW_SECONDS", 3600)
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
# Every public POST, valid or not, whatever the page (crm.ratelimit): at most POST_RATE_LIMIT per client IP and
# page, and POST_RATE_LIMIT_PER_TOKEN per emailed link's token, in FORM_RATE_WINDOW_SECONDS (0: no limit).
POST_RATE_LIMIT = env_int("POST_RATE_LIMIT", 300)
POST_RATE_LIMIT_PER_TOKEN = env_int("POST_RATE_LIMIT_PER_TOKEN", 30)

ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}
# The ESPs whose tracking webhooks are routed at /webhooks/anymail/<esp>/tracking/ (campaigns.webhooks): by default
# the one EMAIL_BACKEND sends through (anymail.backends.<esp>.EmailBackend), none for SMTP. With DJANGO_DEBUG off
# they need ANYMAIL_WEBHOOK_SECRET (a system check stops start-up without it).
_ESP_OF_BACKEND = EMAIL_BACKEND.removeprefix("anymail.backends.").partition(".")[0]
EMAIL_WEBHOOK_ESPS = env_list(
    "EMAIL_WEBHOOK_ESPS", _ESP_OF_BACKEND if EMAIL_BACKEND.startswith("anymail.backends.") else ""
)

# Celery: Redis in production; without a broker URL, kombu's filesystem transport under var/ needs no server.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
# A short connect timeout: a request that publishes gives up quickly when the broker is down (the sweeper
# publishes later), and a worker retries its own connection anyway.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": env_float("CELERY_BROKER_CONNECT_TIMEOUT", 0.5)}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker keeps its database connection as a web process does (CONN_MAX_AGE, checked before reuse; see
# crm/celery.py) instead of Celery's default of a new one for every task: a new PostgreSQL backend with cold
# caches for each batch of sends. Celery's own handling then only recycles it after this many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "crm.celery:BeatScheduler"  # the default scheduler, writing beat's heartbeat (crm.health)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "advance-enrollments": {"task": "campaigns.tasks.advance_enrollments", "schedule": 60.0},
    "sweep-deliveries": {"task": "campaigns.tasks.sweep_deliveries", "schedule": EMAIL_SWEEP_INTERVAL_SECONDS},
    "start-due-campaigns": {"task": "campaigns.tasks.start_due_campaigns", "schedule": 60.0},
    "coordinator-digest": {
        "task": "campaigns.tasks.send_coordinator_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    # Uploaded member lists whose import preview was never confirmed: deleted after a day.
    "sweep-import-uploads": {"task": "network.tasks.sweep_import_uploads", "schedule": 3600.0},
    # Event reminders the day before, and follow-ups to attendees after (network.events): each exactly once.
    "event-reminders": {"task": "network.tasks.send_event_reminders", "schedule": 900.0},
    # Retention (RETENTION_*): what has expired is erased or anonymised every night, the counts kept (crm.retention).
    "retention": {"task": "crm.tasks.retention_run", "schedule": crontab(hour=3, minute=0)},
    # The coordinator's monthly report: the task runs every day and sends on the first weekday of the month only.
    "monthly-report": {"task": "dashboard.tasks.monthly_report", "schedule": crontab(hour=8, minute=0)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# Importing the member list: the largest file (upload or command), how much an .xlsx may unpack to, the most data
# rows and the longest cell. They keep a broken or hostile file from exhausting the server's memory.
IMPORT_MAX_FILE_MB = env_int("IMPORT_MAX_FILE_MB", 20)
IMPORT_MAX_UNPACKED_MB = env_int("IMPORT_MAX_UNPACKED_MB", 50)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20000)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 1000)

# Privacy: the controller, and for each purpose of processing its legal basis ("consent" or "public_interest",
# GDPR art. 6.1 a or e) and the version of its text. The privacy notice at /integritet/ is generated from these
# (crm.privacy_notice), and every consent record carries its purpose's version: when a text changes, change its
# version here.
LEGAL_BASES = ("consent", "public_interest")


def env_basis(name: str, default: str) -> str:
    value = env_str(name, default).strip()
    if value not in LEGAL_BASES:
        raise ImproperlyConfigured(f"{name}={value!r} is not a legal basis; use one of {', '.join(LEGAL_BASES)}.")
    return value


PRIVACY = {
    "controller": env_str("PRIVACY_CONTROLLER", "Kramfors kommun (kommunstyrelsen)"),
    "org_number": env_str("PRIVACY_ORG_NUMBER", "212000-2429"),
    "address": env_str("PRIVACY_ADDRESS", "Kramfors kommun, 872 80 Kramfors"),
    "contact_email": env_str("PRIVACY_CONTACT_EMAIL", COORDINATOR_EMAIL),
    "dpo_email": env_str("PRIVACY_DPO_EMAIL", "dataskyddsombud@kramfors.se"),
    "purposes": {
        "registry": {"basis": env_basis("PRIVACY_BASIS_REGISTRY", "consent"), "version": "2026-11-27"},
        "newsletters": {"basis": env_basis("PRIVACY_BASIS_NEWSLETTERS", "consent"), "version": "2026-11-27"},
        "invitations": {"basis": env_basis("PRIVACY_BASIS_INVITATIONS", "consent"), "version": "2026-11-27"},
        "tracking": {"basis": env_basis("PRIVACY_BASIS_TRACKING", "consent"), "version": "2026-11-27"},
        # People recommended by someone else (GDPR art. 14): they have given nothing, so not consent.
        "recruitment": {
            "basis": env_basis("PRIVACY_BASIS_RECRUITMENT", "public_interest"),
            "version": "2026-11-27",
        },
    },
}

# Retention, in days (the municipality's retention decision): what has expired is erased, or for delivery logs
# anonymised, by the nightly job (crm.retention, 03:00), which records only how many of each it removed.
RETENTION_UNCONFIRMED_DAYS = env_int("RETENTION_UNCONFIRMED_DAYS", 30)  # applications never confirmed, from sent
RETENTION_DECLINED_DAYS = env_int("RETENTION_DECLINED_DAYS", 180)  # declined applications, from the decision
RETENTION_RECRUITMENT_DAYS = env_int("RETENTION_RECRUITMENT_DAYS", 365)  # recruitment contacts, from the last change
RETENTION_ALUMNI_DAYS = env_int("RETENTION_ALUMNI_DAYS", 730)  # alumni, from the first night they are alumni
RETENTION_DELIVERY_LOG_DAYS = env_int("RETENTION_DELIVERY_LOG_DAYS", 365)  # emails sent: address, name, content
# The apps that take part in a person's export and erasure and in the nightly retention job: crm runs the loops
# and the bookkeeping, each app's own module does its part (crm imports none of them). Erased in this order: the
# app that deletes the person comes last; PRIVACY_SCOPE reads once what is the person's (crm.privacy, rule 2).
PRIVACY_PROVIDERS = ["mypages.privacy", "campaigns.privacy", "network.privacy"]
PRIVACY_SCOPE = "network.privacy.Scope"
RETENTION_PROVIDERS = ["network.retention", "campaigns.retention"]
for _name in (
    "RETENTION_UNCONFIRMED_DAYS",
    "RETENTION_DECLINED_DAYS",
    "RETENTION_RECRUITMENT_DAYS",
    "RETENTION_ALUMNI_DAYS",
    "RETENTION_DELIVERY_LOG_DAYS",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name}={globals()[_name]} must be at least 1 (days).")
