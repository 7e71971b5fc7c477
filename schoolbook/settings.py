"""Settings, all from the environment (see .env.example). Production: SCHOOLBOOK_ENV=production."""

import datetime
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """postgres://user:pass@host:port/name?sslmode=… and pgserver's postgresql://postgres:@/name?host=/socket."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, got {parts.scheme!r}")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = options.pop("host", None) or parts.hostname or ""
    return {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


PRODUCTION = os.environ.get("SCHOOLBOOK_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production-" + "x" * 20

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use manage.py (it starts the embedded PostgreSQL) or set DATABASE_URL."
    )
DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
# Behind PgBouncer in transaction pooling, the school's schema is set in each transaction, never on the
# session, and server-side cursors are off (tenants/postgresql_backend, docs/operations.md).
DATABASE_POOLING = os.environ.get("DATABASE_POOLING", "")
if DATABASE_POOLING not in ("", "transaction"):
    raise ImproperlyConfigured("DATABASE_POOLING must be empty or 'transaction'")
if DATABASE_POOLING:
    DATABASES["default"] |= {"ENGINE": "tenants.postgresql_backend", "DISABLE_SERVER_SIDE_CURSORS": True}
if os.environ.get("TEST_SLOT", "0") not in ("", "0"):  # parallel test runs: see tests/plugin.py
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.environ['TEST_SLOT']}"}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "accounts",
    "offices",
    "schoolbook.audit",
    "messaging",
    "schoolbook",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "schoolbook.audit",
    "messaging",
    "students",
    "grades",
    "attendance",
    "notices",
    "payments",
    "timetable",
    "conversations",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.School"
TENANT_DOMAIN_MODEL = "tenants.Domain"
TENANT_SUBFOLDER_PREFIX = "s"
TENANT_LIMIT_SET_CALLS = True
# Onboarding renames one of these migrated, empty spare schemas instead of migrating one (tenants.schemas).
SPARE_SCHEMAS = int(os.environ.get("SPARE_SCHEMAS", "3"))

MIDDLEWARE = [
    # Where each request comes from, for the audit trail (services never take the request).
    "schoolbook.audit.context.OriginMiddleware",
    # The request's school on its log lines and its access line (schoolbook.logs).
    "schoolbook.logs.RequestLogMiddleware",
    # Counts and times every response, even those answered by a middleware below (schoolbook.metrics).
    "schoolbook.metrics.MetricsMiddleware",
    # First, so that even the 404 for an unknown school is in the visitor's language.
    "schoolbook.i18n.LanguageCookieMiddleware",
    # Before anything reads the body: a declared Content-Length over the path's limit is refused with 413.
    "schoolbook.uploads.RequestSizeMiddleware",
    "tenants.middleware.SchoolRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "schoolbook.access.SchoolAccessMiddleware",
    # A signed-in parent's pages are marked for the service worker to keep offline (schoolbook.pwa).
    "schoolbook.pwa.middleware.OfflinePagesMiddleware",
]

ROOT_URLCONF = "schoolbook.urls_public"
PUBLIC_SCHEMA_URLCONF = "schoolbook.urls_public"
# Prefixed with /s/<code>/ per school by tenants.middleware.
SCHOOL_URLCONF = "schoolbook.urls_school"

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
                "tenants.context_processors.school",
                "schoolbook.pwa.context_processors.pwa",
            ],
        },
    }
]

WSGI_APPLICATION = "schoolbook.wsgi.application"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.PhonePasswordBackend"]
# The first hashes new passwords; a stored hash with other parameters is rehashed at the next sign-in.
PASSWORD_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"  # a path, not a URL name: school URLconfs have no "login" of their own
LOGIN_REDIRECT_URL = "/home/"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    },
    # Keys that mean the same in every schema: sessions (one login for all schools) and school lookups.
    "platform": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "p",
    },
    # This process's copies of parts of pages (schoolbook.caching.cached_part), under the same keys: a few
    # kB each (an inbox's rows, the largest, 20 kB for 100 notices), so at most some tens of MB a process.
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "parts",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "platform"

# Vietnamese first: the default whatever the browser says (see schoolbook.i18n); English on request.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG  # development serves straight from static/; production from collectstatic
if not PRODUCTION:
    STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at start-up about a missing STATIC_ROOT
# Uploaded files (notice attachments): never served as public URLs, only through views that check access.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
NOTICE_ATTACHMENT_MAX_BYTES = int(os.environ.get("NOTICE_ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024)))
NOTICE_ATTACHMENTS_MAX = 5
# Uploaded spreadsheets (roster and gradebook imports): the file, then its zip directory before openpyxl
# reads it (schoolbook.spreadsheets.zip_check). A real 10 000-line roster expands to a few MB.
SPREADSHEET_MAX_BYTES = 10 * 1024 * 1024
SPREADSHEET_MAX_UNCOMPRESSED_BYTES = 20 * 2**20
SPREADSHEET_MAX_PARSED_WHOLE_BYTES = 4 * 2**20  # larger entries: only worksheets that declare their size
SPREADSHEET_MAX_ENTRIES = 500
SPREADSHEET_MAX_RATIO = 100  # uncompressed / compressed, for entries over SPREADSHEET_RATIO_FROM_BYTES
SPREADSHEET_RATIO_FROM_BYTES = 2**20
# Request bodies: Django refuses a form body over DATA_UPLOAD_MAX_MEMORY_SIZE (files
# aside); schoolbook.uploads.RequestSizeMiddleware refuses a declared Content-Length over the limit of the
# path with 413 before anything reads the body. Paths matching a pattern of REQUEST_MAX_BYTES_BY_PATH (the
# upload pages) get that limit; every other request the default, enough for a form and no file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 2**20
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 2**20  # larger files go to a temporary file, not memory
REQUEST_MAX_BYTES = 2 * 2**20
REQUEST_MAX_BYTES_BY_PATH = [  # (regular expression searched in the path, limit)
    (r"/students/import/$|/terms/\d+/import/$", SPREADSHEET_MAX_BYTES + 2**20),  # roster, gradebook
    (r"/notices/(new|\d+/edit)/$", NOTICE_ATTACHMENTS_MAX * NOTICE_ATTACHMENT_MAX_BYTES + 2**20),
    (r"/attendance/leave/new/$", NOTICE_ATTACHMENT_MAX_BYTES + 2**20),
    (r"/conversations/(\d+/reply|students/\d+/new)/$", NOTICE_ATTACHMENT_MAX_BYTES + 2**20),  # a photo, a PDF
    (r"/fees/statements/import/$", SPREADSHEET_MAX_BYTES + 2**20),  # bank statements
]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Celery: tenant-schemas-celery carries the school's schema in each task's headers.


def _redis_database(url: str, number: int) -> str:
    """The same Redis server, database `number`."""
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


# The cache (REDIS_URL, database 0 by default) and the broker are separate Redis databases: the cache may
# be flushed or evicted without losing queued tasks. Default: database 1 of REDIS_URL's server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or _redis_database(REDIS_URL, 1)
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True  # a crashed worker's task is delivered again; claims make that safe
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ROUTES = {
    "messaging.tasks.deliver_urgent_batch": {"queue": "urgent"},
    "messaging.tasks.deliver_bulk_batch": {"queue": "bulk"},
    # The offices' summaries (a thousand at night): never ahead of a message waiting in `default`.
    "schoolbook.tasks.office_summary_refresh": {"queue": "bulk"},
}
CELERY_BEAT_SCHEDULE = {
    # Onboarding refills the pool itself; this catches refills lost to a stopped worker.
    "refill-spare-schemas": {"task": "tenants.tasks.refill_spare_schemas", "schedule": 600.0},
    # Schools with the automatic publication policy: publish scores left unchanged for the school's delay.
    "grades-auto-publish": {"task": "grades.tasks.auto_publish", "schedule": 300.0},
    # Per school: held deliveries now due (quiet hours), fallbacks due, lost tasks, dead workers' claims.
    "messaging-sweep": {"task": "messaging.tasks.sweep", "schedule": 60.0},
    # Scheduled notices whose time has come, one task per school (each published once, under a row lock).
    "notices-publish-due": {"task": "notices.tasks.publish_due", "schedule": 60.0},
    # Import files left unconfirmed (students.imports.flow): deleted once past their 30 minutes.
    "import-previews-clean": {"task": "students.tasks.previews_clean_all", "schedule": 3600.0},
    # Education offices' data links: each school's day (today and yesterday, for late corrections) into
    # the links' outbox after school; every minute, what is due is sent and dead workers' claims released.
    "office-links-produce": {
        "task": "offices.tasks.office_links_produce_all",
        "schedule": crontab(hour=18, minute=30),
    },
    "office-links-sweep": {"task": "offices.tasks.office_links_sweep", "schedule": 60.0},
    # Their sent log keeps a record for OFFICE_LINK_RECORD_DAYS after it ended (sent, refused, given up).
    "office-link-records-purge": {
        "task": "offices.tasks.office_link_records_purge",
        "schedule": crontab(hour=3, minute=20),
    },
    # Fee reminders before the due date and when overdue, once a day per school (each invoice and step once).
    "payments-fee-reminders": {
        "task": "payments.tasks.fee_reminders",
        "schedule": crontab(hour=7, minute=30),
    },
    # Report requests of the offices not yet answered: the schools' managers, once a day near the deadline.
    "office-report-reminders": {
        "task": "schoolbook.office_reports.tasks.report_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    # The education offices' summary of each school (schoolbook.office_summaries): the schools changed in
    # the last minute, and every active school just after midnight (the new day's figures).
    "office-summaries-changed": {
        "task": "schoolbook.tasks.office_summaries_refresh_changed",
        "schedule": 60.0,
    },
    "office-summaries-nightly": {
        "task": "schoolbook.tasks.office_summaries_refresh_all",
        "schedule": crontab(hour=0, minute=10),
    },
}

# Education offices' data links to an operations centre (offices/links, docs/integrations.md): records per
# batch, the HTTP timeout, the backoff after a failed attempt (base × 2^attempts, capped, with jitter), how
# long a record keeps being retried before it is marked failed (a replay sends it again), how old a claim
# must be to be a dead worker's (longer than a sender's run: OFFICE_LINKS_SEND_SECONDS + a timeout), and
# how long one sender task sends before it hands over to the next.
OFFICE_LINKS_BATCH_SIZE = int(os.environ.get("OFFICE_LINKS_BATCH_SIZE", "100"))
OFFICE_LINKS_TIMEOUT_SECONDS = float(os.environ.get("OFFICE_LINKS_TIMEOUT_SECONDS", "20"))
OFFICE_LINKS_BACKOFF_BASE_SECONDS = float(os.environ.get("OFFICE_LINKS_BACKOFF_BASE_SECONDS", "30"))
OFFICE_LINKS_BACKOFF_CAP_SECONDS = float(os.environ.get("OFFICE_LINKS_BACKOFF_CAP_SECONDS", "1800"))
OFFICE_LINKS_GIVE_UP_HOURS = float(os.environ.get("OFFICE_LINKS_GIVE_UP_HOURS", "72"))
OFFICE_LINKS_CLAIM_TIMEOUT_SECONDS = int(os.environ.get("OFFICE_LINKS_CLAIM_TIMEOUT_SECONDS", "180"))
OFFICE_LINKS_SEND_SECONDS = float(os.environ.get("OFFICE_LINKS_SEND_SECONDS", "60"))
# How long the sent log keeps a record that ended (sent, a duplicate, rejected, given up, its school
# withdrawn), in days: 400 covers a school year and the next year's start-of-year questions.
OFFICE_LINK_RECORD_DAYS = int(os.environ.get("OFFICE_LINK_RECORD_DAYS", "400"))
# Test-only: exact origins (scheme://host:port) of a local fake centre, exempt from "HTTPS on a public
# address". Never set in production.
OFFICE_LINKS_TEST_ORIGINS = env_list("OFFICE_LINKS_TEST_ORIGINS", "")
# The records a school sends, made in its schema by the composition layer (offices cannot import the
# attendance and fee apps it reads): called with (school, day).
OFFICE_LINKS_PRODUCER = "schoolbook.office_links.records_produce"

# Wiring between sibling apps, done here in the composition layer so that neither imports the other: the
# gradebook's promotion counts the absences of the school year as attendance counts them
# (grades.results.selectors.year_absence_totals calls this with (student ids, school year)).
GRADES_YEAR_ABSENCES = "attendance.stats.selectors.year_absences"
# Who else signs in as staff (after the first one-time code, a password and the staff session, not a
# parent's code-only one: accounts.views.signs_in_with_code), called with the user: the offices' staff.
STAFF_OUTSIDE_SCHOOLS = "offices.selectors.user_is_office_staff"

# One-time codes (accounts.otp): all limits in one place.
OTP_TTL_SECONDS = int(os.environ.get("OTP_TTL_SECONDS", "300"))
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_COOLDOWN_SECONDS = int(os.environ.get("OTP_RESEND_COOLDOWN_SECONDS", "60"))
OTP_MAX_PER_PHONE_PER_HOUR = int(os.environ.get("OTP_MAX_PER_PHONE_PER_HOUR", "5"))
OTP_MAX_PER_IP_PER_HOUR = int(os.environ.get("OTP_MAX_PER_IP_PER_HOUR", "20"))
# Every answer of the code request page takes at least this long, for a number with an account (a code
# is written and sent) and without one alike: the time does not tell who has an account.
OTP_REQUEST_MIN_SECONDS = float(os.environ.get("OTP_REQUEST_MIN_SECONDS", "0.3"))
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "10"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))
# Failed password logins per client address (X-Real-IP) per window, counted before any hashing: a school
# behind one NAT address still has room for its staff's typos; a phone-spraying script does not.
LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", "30"))
LOGIN_IP_WINDOW_SECONDS = int(os.environ.get("LOGIN_IP_WINDOW_SECONDS", "3600"))
# Principals, school admins and platform admins pass an authenticator code (TOTP) once per session.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", True)
# Parents (no staff role anywhere) sign in with a one-time code alone and stay signed in on that device for
# this long; staff go on to set a password (and pass 2FA) with Django's default session age.
PARENT_SESSION_AGE = datetime.timedelta(days=90)
# The parent hub's "new since your last visit" (accounts.services.home_visit_record): home page views
# within this gap of a visit's start belong to that visit; a first visit shows the last FIRST_VISIT_NEWS.
HOME_VISIT_GAP = datetime.timedelta(minutes=30)
FIRST_VISIT_NEWS = datetime.timedelta(days=7)

# Absolute links in messages (push "url", SMS "Xem: …"): the site's public origin, no trailing slash.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Messaging: the SMS gateway for login codes and for schools that have not chosen one.
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "console")
# Deliveries per task (one gateway call each), attempts before a transient failure becomes final, and how
# old a claim must be to count as a dead worker's (longer than a batch can take to send).
MESSAGING_BATCH_SIZE = int(os.environ.get("MESSAGING_BATCH_SIZE", "50"))
MESSAGING_MAX_ATTEMPTS = int(os.environ.get("MESSAGING_MAX_ATTEMPTS", "6"))
MESSAGING_CLAIM_TIMEOUT_SECONDS = int(os.environ.get("MESSAGING_CLAIM_TIMEOUT_SECONDS", "300"))
MESSAGING_BACKOFF_BASE_SECONDS = float(os.environ.get("MESSAGING_BACKOFF_BASE_SECONDS", "1"))
# A queued delivery with no claim for this long lost its task (a broker restarted without its data): the
# sweep dispatches it again. Longer than the longest retry countdown (600 s): a waiting retry is not doubled.
MESSAGING_REDISPATCH_AFTER_SECONDS = int(os.environ.get("MESSAGING_REDISPATCH_AFTER_SECONDS", "900"))

# Gateways (messaging/gateways/): credentials come from the environment, never from the database.
SMS_PRICE_PER_SEGMENT_VND = int(os.environ.get("SMS_PRICE_PER_SEGMENT_VND", "800"))


def _rate_limit(prefix: str, rate: str, burst: str) -> dict:
    """A gateway's share of the provider's limit, for all workers together (messaging.gateways.ratelimit)."""
    return {
        "rate_per_second": float(os.environ.get(f"{prefix}_RATE_PER_SECOND", rate)),
        "burst": int(os.environ.get(f"{prefix}_BURST", burst)),
    }


# Web Push endpoints we accept and POST to: the push services the browsers use (Chrome, Edge's Chromium
# builds, Opera, Brave, Samsung Internet, Cốc Cốc: FCM; Firefox: Mozilla autopush; Edge/Windows: WNS;
# Safari: Apple). "*.x" is any name under x. A comma-separated PUSH_SERVICE_HOSTS replaces the list.
PUSH_SERVICE_HOSTS = [
    host.strip()
    for host in os.environ.get(
        "PUSH_SERVICE_HOSTS",
        "fcm.googleapis.com,*.push.services.mozilla.com,*.notify.windows.com,web.push.apple.com,*.push.apple.com",
    ).split(",")
    if host.strip()
]
# Test-only: exact origins (scheme://host:port) of local fake push services, exempt from the host list and
# the public-address check. Never set in production; tests.fakes.push adds its own origin while it runs.
PUSH_TEST_ORIGINS: list[str] = []
GATEWAYS = {
    "esms": {
        "url": os.environ.get(
            "ESMS_URL", "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/"
        ),
        "api_key": os.environ.get("ESMS_API_KEY", ""),
        "secret_key": os.environ.get("ESMS_SECRET_KEY", ""),
        "brandname": os.environ.get("ESMS_BRANDNAME", ""),
        "sms_type": os.environ.get("ESMS_SMS_TYPE", "2"),  # 2: customer care (brandname)
        "sandbox": os.environ.get("ESMS_SANDBOX", "0") == "1",
        "callback_url": os.environ.get("ESMS_CALLBACK_URL", ""),
        "timeout": float(os.environ.get("ESMS_TIMEOUT", "10")),
        "concurrency": int(os.environ.get("ESMS_CONCURRENCY", "16")),  # a batch's requests at a time
        **_rate_limit("ESMS", "30", "30"),
    },
    "speedsms": {
        "url": os.environ.get("SPEEDSMS_URL", "https://api.speedsms.vn/index.php/sms/send"),
        "token": os.environ.get("SPEEDSMS_TOKEN", ""),
        "sender": os.environ.get("SPEEDSMS_SENDER", ""),
        "sms_type": int(os.environ.get("SPEEDSMS_SMS_TYPE", "3")),
        "timeout": float(os.environ.get("SPEEDSMS_TIMEOUT", "10")),
        # Requests (of up to 100 numbers), per account: SpeedSMS allows 60 per 60 s (burst + 60 × rate ≤ 60).
        **_rate_limit("SPEEDSMS", "0.5", "30"),
    },
    "http_sms": {  # any provider with a JSON POST API, described by URL and templates
        "url": os.environ.get("HTTP_SMS_URL", ""),
        "headers": os.environ.get("HTTP_SMS_HEADERS", "{}"),  # JSON object
        "body": os.environ.get("HTTP_SMS_BODY", '{"to": "{phone}", "text": "{text}", "id": "{id}"}'),
        "success_status": os.environ.get("HTTP_SMS_SUCCESS_STATUS", "200,201,202"),
        "id_field": os.environ.get("HTTP_SMS_ID_FIELD", "id"),  # where the reply carries the provider id
        # Where the reply says whether it was accepted, and the words for yes: a 200 alone proves nothing.
        "success_field": os.environ.get("HTTP_SMS_SUCCESS_FIELD", "status"),
        "success_values": os.environ.get("HTTP_SMS_SUCCESS_VALUES", "success"),
        "timeout": float(os.environ.get("HTTP_SMS_TIMEOUT", "10")),
        "concurrency": int(os.environ.get("HTTP_SMS_CONCURRENCY", "16")),
        **_rate_limit("HTTP_SMS", "10", "10"),
    },
    "webpush": {
        "vapid_private_key": os.environ.get("WEBPUSH_VAPID_PRIVATE_KEY", ""),
        "vapid_public_key": os.environ.get("WEBPUSH_VAPID_PUBLIC_KEY", ""),
        "vapid_subject": os.environ.get("WEBPUSH_VAPID_SUBJECT", "mailto:admin@localhost"),
        "ttl": int(os.environ.get("WEBPUSH_TTL", "86400")),  # pywebpush's default 0 drops offline devices
        "timeout": float(os.environ.get("WEBPUSH_TIMEOUT", "10")),
        **_rate_limit("WEBPUSH", "100", "100"),
    },
    # Zalo ZNS: one Official Account for the platform. The refresh token below only seeds the store: Zalo
    # rotates it on every use and the current pair lives sealed in the database (messaging.ProviderToken).
    "zalo": {
        "app_id": os.environ.get("ZALO_APP_ID", ""),
        "app_secret": os.environ.get("ZALO_APP_SECRET", ""),  # OAuth `secret_key`
        "oa_secret": os.environ.get("ZALO_OA_SECRET", ""),  # signs the webhooks (X-ZEvent-Signature)
        "refresh_token": os.environ.get("ZALO_REFRESH_TOKEN", ""),
        "template_id": os.environ.get("ZALO_TEMPLATE_ID", ""),
        "oauth_url": os.environ.get("ZALO_OAUTH_URL", "https://oauth.zaloapp.com/v4/oa/access_token"),
        "url": os.environ.get("ZALO_ZNS_URL", "https://business.openapi.zalo.me/message/template"),
        "timeout": float(os.environ.get("ZALO_TIMEOUT", "10")),
        **_rate_limit("ZALO", "20", "20"),
    },
    # FCM HTTP v1, for the mobile app: a service account's JSON key file (its token_uri is where the OAuth
    # token comes from).
    "fcm": {
        "project_id": os.environ.get("FCM_PROJECT_ID", ""),
        "service_account_file": os.environ.get("FCM_SERVICE_ACCOUNT_FILE", ""),
        "url": os.environ.get("FCM_URL", "https://fcm.googleapis.com"),
        "timeout": float(os.environ.get("FCM_TIMEOUT", "10")),
        **_rate_limit("FCM", "100", "100"),
    },
}
# VNPay's payment page (payments.vnpay): its sandbox unless configured; each school's terminal and hash secret
# are its own (fees settings), never configuration.
VNPAY_PAYMENT_URL = os.environ.get("VNPAY_PAYMENT_URL", "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html")
# Prometheus metrics (schoolbook.metrics): /metrics answers requests from these networks (the proxy's
# X-Real-IP when set, else the peer's address) or bearing `Authorization: Bearer <METRICS_TOKEN>`; anyone
# else gets 404. A Celery worker serves its own metrics on WORKER_METRICS_PORT (unset: none).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
WORKER_METRICS_PORT = int(os.environ.get("WORKER_METRICS_PORT") or 0)
WORKER_METRICS_ADDRESS = os.environ.get("WORKER_METRICS_ADDRESS", "127.0.0.1")

# backup_school / restore_school (schoolbook.backup) run pg_dump, pg_restore and psql of the server's major
# version: from this directory when set, else the embedded server's, else PATH.
PG_BIN_DIR = os.environ.get("PG_BIN_DIR", "")

# Seals provider tokens stored in the database (schoolbook.sealed); derived from SECRET_KEY when unset.
SEALING_KEY = os.environ.get("SEALING_KEY", "")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))  # Django's default waits forever
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Schoolbook <no-reply@localhost>")

# Behind a TLS-terminating proxy in production.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Every line with its school, request id and task id (schoolbook.logs); LOG_FORMAT: `text` for people
# (development's default) or `json`, one object a line for a log collector (production's default). Celery
# workers use this too (schoolbook.celery connects setup_logging).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "schoolbook.logs.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"},
        "json": {"()": "schoolbook.logs.json_formatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}},
}
