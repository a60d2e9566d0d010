"""Settings for the TCFO Capacity Portal, read from the environment.

Nothing configured gives the embedded default: SQLite in the project folder, tasks run in-process,
e-mail printed on the console. ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (Celery broker and
cache) switch to the real services. See README.md, "Configuration".

Production is the default: DEBUG is off unless ``DJANGO_DEBUG`` is set (``make run`` sets it for
the demo), and then ``DJANGO_SECRET_KEY`` is required. The test suite runs on ``tests.settings``.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_INSECURE_DEV_SECRET = "insecure-development-key-never-use-in-production"  # noqa: S105


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """An API rate (``600/min``: requests per s, min, h or day) from the environment; ``off``
    for no limit."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if value.lower() in {"off", "none"}:
        return None
    if not re.fullmatch(r"[0-9]+/(s|sec|m|min|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}={value!r}: write requests/period (600/min) or off.")
    return value


DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _INSECURE_DEV_SECRET)
if not DEBUG and SECRET_KEY == _INSECURE_DEV_SECRET:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off (DJANGO_DEBUG=true for local development)."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_countries",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "auditlog",
    "organisations",
    "leasing",
    "billing",
    "events",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files get the Content-Security-Policy header too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "organisations.middleware.TwoFactorMiddleware",
    "organisations.middleware.ReaderTimeZoneMiddleware",
    "audit.middleware.AuditActorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tcfo_portal.middleware.UnstorableTextMiddleware",
    "tcfo_portal.middleware.DomainErrorPageMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tcfo_portal.urls"

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
                "tcfo_portal.navigation.navigation",
            ],
            # The project's own filters (``tcfo_portal`` is not an app): ``{% load portal %}``.
            "libraries": {
                "portal": "tcfo_portal.templatetags.portal",
                "portal_lists": "tcfo_portal.templatetags.portal_lists",  # i15-b
            },
        },
    },
]

WSGI_APPLICATION = "tcfo_portal.wsgi.application"

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default under concurrent requests: readers never wait for the writer (WAL),
    # a write transaction takes the lock when it begins (IMMEDIATE) instead of failing
    # "database is locked" when a read turns into a write, and waits up to `timeout` seconds
    # for it. Transactions are serialised, so `select_for_update` (a no-op here) loses nothing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery and cache -----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker the tasks run in-process, synchronously, and their exceptions propagate.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged only after it finished, so a worker killed mid-task hands it to another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queueing a task after a commit while the broker is down must not hold the request for long:
# two quick retries, a short connect timeout, then the error is logged (on_commit robust) and
# beat's periodic jobs pick the work up (the outbox) once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# A task taken by a worker that died unacknowledged goes back to the queue after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    # An unreachable broker (not merely refusing) fails a connect within this, not the OS's minutes.
    "socket_connect_timeout": 2,
}
# Beat's calendar (crontab schedules) runs on Baku time; timestamps stay UTC everywhere else.
CELERY_TIMEZONE = "Asia/Baku"
CELERY_BEAT_SCHEDULE = {
    # Early on the 1st in Baku (the beat's time zone below) the month that ended is billed.
    "monthly-billing": {
        "task": "billing.tasks.start_monthly_billing",
        "schedule": crontab(minute=30, hour=1, day_of_month=1),
    },
    "expire-capacity-holds": {"task": "leasing.tasks.expire_holds", "schedule": 15 * 60},
    # The outbox: publishes and delivers what a commit's own dispatch missed (broker down).
    "dispatch-events": {"task": "events.tasks.dispatch_events", "schedule": 60},
    # The mail outbox: what a commit's own task did not send (broker down), and retries.
    "send-pending-emails": {"task": "organisations.tasks.send_pending_emails", "schedule": 60},
    "close-ended-services": {"task": "leasing.tasks.close_services", "schedule": 60 * 60},
    "close-resolved-tickets": {"task": "leasing.tasks.close_resolved_tickets", "schedule": 60 * 60},
    "poll-interface-counters": {"task": "billing.tasks.poll_counters", "schedule": 5 * 60},
    # Usage payloads are written uncompressed on ingest and gzip'd once their (UTC) day is over.
    "compact-usage-payloads": {
        "task": "billing.tasks.compact_usage_payloads",
        "schedule": crontab(minute=15, hour=5),
    },
    # Outages recorded or corrected for a month already closed become late adjustments.
    "note-late-outages": {"task": "billing.tasks.note_late_outages", "schedule": 15 * 60},
    # Planned maintenance: the reminder a day before (once), and the start at window start.
    "remind-maintenance": {"task": "leasing.tasks.remind_maintenance", "schedule": 5 * 60},
    "start-due-maintenance": {"task": "leasing.tasks.start_due_maintenance", "schedule": 60},
    "render-missing-order-forms": {
        "task": "leasing.tasks.render_missing_order_forms",
        "schedule": 60 * 60,
    },
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "organisations.User"
# django-axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "TCFO Capacity Portal <noreply@tcfo.example>"
)

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "tcfo_portal" / "static"]
# A manifest storage whatever DEBUG is: `collectstatic` always writes the manifest and the hashed
# copies, so it may run before or after DEBUG is switched, either way. With DEBUG on, pages link
# the plain names and WhiteNoise serves them from the apps' folders (its finders); with DEBUG off,
# the hashed names of the last `collectstatic` (required). Compressed copies (gzip, Brotli) are
# made only with DEBUG off: they take a minute, and without them WhiteNoise serves the plain ones.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# --- Security when deployed -----------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS: plain HTTP is redirected whenever DEBUG is off (DJANGO_SECURE_SSL_REDIRECT=false for a
# server spoken to over plain HTTP, e.g. on localhost; `make run` sets DEBUG on, so it is off
# there). HSTS is sent only once DJANGO_HSTS_SECONDS is set: 0 by default, as it cannot be taken
# back from browsers that saw it.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
if env_bool("DJANGO_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp) ---------------------------------------------------------
# On every response (pages, API, docs, static files): scripts, styles, fonts and connections from
# our own origin only, nothing inline, no plugins, no framing. Templates hold no <script>, <style>,
# style="" or on*="" (behaviour in tcfo_portal/static/portal/*.js); the API docs are Swagger UI's
# split view (its settings script served as a file). `data:` images are Swagger UI's icons. DRF's
# browsable API pages alone allow inline styles (tcfo_portal/api/renderers.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "organisations.api.authentication.ApiKeyAuthentication",
        "organisations.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["organisations.api.permissions.HasCapability"],
    "DEFAULT_PAGINATION_CLASS": "tcfo_portal.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "tcfo_portal.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["tcfo_portal.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "tcfo_portal.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "tcfo_portal.api.schema.AutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# --- API abuse limits (tcfo_portal/api/throttling.py) ---------------------------------------------
# Requests per API key or signed-in user, per key or user on usage ingest, per address without
# valid credentials (anonymous requests and those refused for a missing or wrong key); counted on
# the cache (shared by every worker when REDIS_URL is set). `off` lifts a limit (a served instance
# under schemathesis: TCFO_API_RATE=off). The address is the login lockout's
# (organisations.security.client_address, TCFO_CLIENT_ADDRESS_FROM_PROXY).
REST_FRAMEWORK |= {
    "DEFAULT_THROTTLE_CLASSES": [
        "tcfo_portal.api.throttling.ApiClientThrottle",
        "tcfo_portal.api.throttling.AnonymousThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api": env_rate("TCFO_API_RATE", "600/min"),
        "usage_ingest": env_rate("TCFO_API_INGEST_RATE", "3000/min"),
        "anon": env_rate("TCFO_API_ANON_RATE", "60/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "TCFO Capacity Portal: wholesale API",
    "DESCRIPTION": (
        "Machine-to-machine access to TransCaspian Fiber Optic capacity: catalog, availability, "
        "quotes, orders, services and their actions, usage, contracts, invoices, credit and "
        "debit notes and payments; planned maintenance, outages and trouble tickets; for "
        "operators, settlement statements and revenue.\n\n"
        "Instead of polling, subscribe to **webhooks** (`/api/v1/webhooks/`): each change is "
        "POSTed to your URL as an event, signed with HMAC-SHA256 and retried for days; "
        "`/api/v1/events/` lists the same events to replay what you missed. The partner guide "
        "at [/webhooks/guide/](/webhooks/guide/) on the portal shows the headers and how to "
        "verify a signature.\n\n"
        "Authenticate with an API key as `Authorization: Bearer <key>` or "
        "`Authorization: Api-Key <key>`. Every 4xx answers the `Error` object; every amount is "
        "a `Money` object."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SiteKindEnum": "leasing.choices.SiteKind",
        "ProductKindEnum": "leasing.choices.ProductKind",
        "OrganisationKindEnum": "organisations.choices.OrganisationKind",
        "CommercialFormEnum": "leasing.choices.CommercialForm",
        "OrderStateEnum": "leasing.choices.OrderState",
        "SampleStatusEnum": "billing.choices.SampleStatus",
        "SampleDecisionEnum": "billing.choices.SampleDecision",
        "NoteVisibilityEnum": "leasing.choices.NoteVisibility",
        "ServiceStatusEnum": "leasing.choices.ServiceStatus",
        "ServiceActionEnum": "leasing.choices.ServiceAction",
        "ActionEnum": "leasing.choices.OutageAction",
        "InvoiceStateEnum": "billing.choices.InvoiceStatus",
        "InvoiceStatusEnum": "billing.choices.CONTRACT_INVOICE_STATUSES",
        "InvoiceLineKindEnum": "billing.choices.LineKind",
        "LateKindEnum": "billing.choices.LateKind",
        "DocumentTypeEnum": "billing.api.late_serializers.DOCUMENT_TYPES",
        # --- i15-c begin ---
        "ConflictChoiceEnum": "billing.choices.ConflictChoice",
        "UsageEventKindEnum": "billing.choices.UsageEventKind",
        # --- i15-c end ---
        # trouble tickets (issue 14)
        "TicketStatusEnum": "leasing.choices.TicketStatus",
        "TicketSeverityEnum": "leasing.choices.TicketSeverity",
        "TicketPriorityEnum": "leasing.choices.TicketPriority",
        "ObservedImpactEnum": "leasing.choices.ObservedImpact",
        "ContactRoleEnum": "leasing.choices.TICKET_CONTACT_ROLES",
        "RoleEnum": "organisations.choices.Role",
        # events and webhooks (issue 14)
        "EventTypeEnum": "events.choices.EventType",
        "DeliveryStatusEnum": "events.choices.DeliveryStatus",
    },
}

# A usage batch of 20,000 samples is about 2.5 MB of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Business rules that are configuration -------------------------------------------------------
# How long a submitted order holds its capacity before an operator acknowledges it.
TCFO_ORDER_HOLD_HOURS = int(os.environ.get("TCFO_ORDER_HOLD_HOURS", "120"))
# How many days a resolved trouble ticket waits for the customer's answer before it is closed.
TCFO_TICKET_AUTO_CLOSE_DAYS = int(os.environ.get("TCFO_TICKET_AUTO_CLOSE_DAYS", "7"))
# How many submitted orders of one customer may hold capacity at once (0: no limit).
TCFO_MAX_HOLDS_PER_CUSTOMER = int(os.environ.get("TCFO_MAX_HOLDS_PER_CUSTOMER", "10"))
# How far ahead a sale may start or be ready for service.
TCFO_SALES_HORIZON_DAYS = int(os.environ.get("TCFO_SALES_HORIZON_DAYS", "1095"))
# How long a quote can be accepted.
TCFO_QUOTE_VALID_DAYS = int(os.environ.get("TCFO_QUOTE_VALID_DAYS", "30"))
# The SLA table of a new contract: monthly availability below x % -> credit of y % of the MRC.
TCFO_DEFAULT_SLA_TIERS = [("99.9", "5"), ("99.5", "10"), ("99.0", "25")]
# Planned maintenance: the notice a new contract gives (maintenance announced at least this many
# days ahead does not count against its SLA), and the longest window network staff may plan.
TCFO_MAINTENANCE_NOTICE_DAYS = int(os.environ.get("TCFO_MAINTENANCE_NOTICE_DAYS", "10"))
TCFO_MAINTENANCE_MAX_HOURS = int(os.environ.get("TCFO_MAINTENANCE_MAX_HOURS", "72"))
# The legal note on a reverse-charged line (a business customer in another country).
TCFO_REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient of the services."
)
# Days from issue to the due date of an invoice.
TCFO_PAYMENT_TERMS_DAYS = int(os.environ.get("TCFO_PAYMENT_TERMS_DAYS", "30"))
# IRU installments: the share of the price due on signing; the rest is due on ready for service.
TCFO_IRU_SIGNING_PERCENT = "50"
# Webhooks (events/services/delivery.py): how long one POST may take, how long a delivery is
# retried (with backoff) before it fails, how long a rotated secret keeps signing, and whether a
# subscription may point at a private, loopback or link-local address (never in production).
TCFO_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("TCFO_WEBHOOK_TIMEOUT_SECONDS", "5"))
TCFO_WEBHOOK_RETRY_HOURS = int(os.environ.get("TCFO_WEBHOOK_RETRY_HOURS", "72"))
TCFO_WEBHOOK_SECRET_GRACE_HOURS = int(os.environ.get("TCFO_WEBHOOK_SECRET_GRACE_HOURS", "24"))
TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS")

# --- Accounts security ----------------------------------------------------------------------------
# Login lockout (django-axes): after this many failed logins (wrong passwords or wrong codes) an
# account, and separately an address, is refused for the cool-off time.
AXES_FAILURE_LIMIT = int(os.environ.get("TCFO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("TCFO_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A successful login forgets the failures of that account only, never those of the address on
# other accounts (organisations.security.forget_failures_of_account): axes' own reset would wipe
# both, and an address could spray guesses between logins to an account of its own.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "organisations.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "organisations.security.client_address"
AXES_VERBOSE = False
# What a failed login posted is kept (AccessAttempt.post_data) with these values masked: the
# password and the code typed at the code step, and the CSRF token (it reveals the cookie's).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code", "csrfmiddlewaretoken"]
# Behind a TLS-terminating proxy the client's address is the last one it appended to
# X-Forwarded-For; otherwise REMOTE_ADDR (a forged header is ignored).
TCFO_CLIENT_ADDRESS_FROM_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY")
# Password reset requests, counted in the shared cache per e-mail and per address in a window.
TCFO_PASSWORD_RESET_PER_EMAIL = int(os.environ.get("TCFO_PASSWORD_RESET_PER_EMAIL", "3"))
TCFO_PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("TCFO_PASSWORD_RESET_PER_ADDRESS", "10"))
TCFO_PASSWORD_RESET_WINDOW_MINUTES = int(os.environ.get("TCFO_PASSWORD_RESET_WINDOW_MINUTES", "60"))
# Two-factor authentication (django-otp, TOTP): users with a device are always asked for a code;
# staff roles (operator finance and network, platform admins) must enrol whenever DEBUG is off.
TCFO_REQUIRE_STAFF_2FA = env_bool("TCFO_REQUIRE_STAFF_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "TCFO Capacity Portal"
# The Django admin never shows an authenticator's key, its QR code or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# How long the code step waits after the password, in seconds.
TCFO_2FA_LOGIN_SECONDS = 300
# How long a code typed on the account page lets the user replace the authenticator, make new
# recovery codes or turn two-factor authentication off, in seconds.
TCFO_2FA_CONFIRM_SECONDS = 300
# Audit log (django-auditlog): which records are followed, and whose they are, is in
# audit/registry.py; each entry names who acted (a user, an API key, a task, a command).
# A changed reference is written as what it names ("AzerTelecom"), not as its id.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True

# --- Logging --------------------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level is on the handler too: records propagating from Django's own loggers
    # (django.request's 4xx warnings) pass the root logger's level unchecked.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "filters": {
        "refusal_without_traceback": {"()": "tcfo_portal.log_filters.RefusalWithoutTraceback"}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's records reach the root's handler once: Django's own console handler (under
        # DEBUG) would print each a second time.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # A refused request (4xx) is one line, without the traceback of its PermissionDenied.
        "django.request": {"filters": ["refusal_without_traceback"], "propagate": True},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # One line per task run; the worker's own log says what it received.
        "celery.app.trace": {"level": "WARNING"},
    },
}
