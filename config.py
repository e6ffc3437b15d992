"""Configuration classes; every value can be overridden by a LEMONTAPS_* or plain env var."""

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def _default_sqlite_url() -> str:
    return "sqlite:///" + str(BASE_DIR / "instance" / "lemontaps.sqlite")


class Config:
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL") or _default_sqlite_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = _env("REDIS_URL", "redis://127.0.0.1:6379/0")
    # Public base URL used in e-mails (links must not be built from the Host header).
    BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000")

    SESSION_COOKIE_NAME = "__Host-lemontaps_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12  # absolute session lifetime: 12 h
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # CSV import allows 5 MB plus form overhead
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session

    MAIL_SERVER = _env("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(_env("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "false").lower() == "true"
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Lemontaps <no-reply@lemontaps.test>")
    MAIL_SUPPRESS_SEND = _env("MAIL_SUPPRESS_SEND", "false").lower() == "true"
    # Seconds between the attempts of a failing mail job (one retry per value); after the
    # last one the mail is given up and shown on the push.
    MAIL_RETRY_INTERVALS = _env("MAIL_RETRY_INTERVALS", "60,300,1800,7200")

    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "de")

    # Reverse proxies in front of the app (a load balancer, nginx): their X-Forwarded-For,
    # -Proto and -Host are trusted, each proxy adding one hop. 0: the socket's peer is the client.
    TRUSTED_PROXIES = int(_env("TRUSTED_PROXIES", "0"))
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI") or REDIS_URL
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_EMAIL = "10 per 15 minutes"
    LOGIN_LIMIT_PER_IP = "50 per 15 minutes"

    # Jobs: the RQ timeout of a push batch (above the HTTP timeouts times the engine's
    # rounds), how long a "pushing" item may miss its job's heartbeat before it counts as
    # stuck (a killed worker), and how often each worker's sweeper runs.
    PUSH_JOB_TIMEOUT = int(_env("PUSH_JOB_TIMEOUT", "900"))
    PUSH_STUCK_GRACE_SECONDS = int(_env("PUSH_STUCK_GRACE_SECONDS", "120"))
    SWEEP_INTERVAL_SECONDS = float(_env("SWEEP_INTERVAL_SECONDS", "60"))

    # Argon2id cost (OWASP: m >= 19 MiB, t >= 2, p = 1).
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024
    ARGON2_PARALLELISM = 1

    INVITE_MAX_AGE_SECONDS = 72 * 3600
    RESET_MAX_AGE_SECONDS = 2 * 3600

    # Accept addresses under the reserved .test domain (demo and tests only).
    EMAIL_ALLOW_TEST_DOMAINS = False

    # htmx: pinned version from a CDN with its SRI hash; `make` puts the same file (checked
    # against this hash) in static/vendor/ as the fallback when the CDN is unreachable.
    HTMX_VERSION = "2.0.11"
    HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
    HTMX_CDN_ORIGIN = "https://cdn.jsdelivr.net"
    HTMX_CDN_URL = f"{HTMX_CDN_ORIGIN}/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"

    # Salesforce connection (an External Client App in the customer's org; see README).
    SALESFORCE_LOGIN_URL = _env("SALESFORCE_LOGIN_URL", "https://login.salesforce.com")
    SALESFORCE_SANDBOX_URL = _env("SALESFORCE_SANDBOX_URL", "https://test.salesforce.com")
    SALESFORCE_CLIENT_ID = _env("SALESFORCE_CLIENT_ID", "")
    SALESFORCE_CLIENT_SECRET = _env("SALESFORCE_CLIENT_SECRET", "")
    # Exact callback registered in Salesforce; never derived from the request's Host header.
    SALESFORCE_REDIRECT_URI = _env("SALESFORCE_REDIRECT_URI")
    SALESFORCE_API_VERSION = _env("SALESFORCE_API_VERSION", "62.0")
    # Base URLs of a bundled emulator that may be used instead of Salesforce (loopback only).
    SALESFORCE_EMULATOR_URLS = _env("SALESFORCE_EMULATOR_URLS", "")
    # Fernet keys, comma-separated; the first encrypts, all decrypt (rotation).
    TOKEN_ENCRYPTION_KEYS = _env("TOKEN_ENCRYPTION_KEYS", "")


class DevelopmentConfig(Config):
    DEBUG = False
    # Without SECRET_KEY in the environment, a random key is made on first start and kept in
    # instance/secret.key: never a key printed in the source.
    SECRET_KEY_FROM_INSTANCE = True
    # Plain-HTTP local development: browsers drop Secure and __Host- cookies on http.
    SESSION_COOKIE_NAME = "lemontaps_session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    EMAIL_ALLOW_TEST_DOMAINS = True


class DemoConfig(DevelopmentConfig):
    """`make run`: the bundled emulator and demo data on loopback."""

    # The emulator listens on three ports: production login, sandbox login, instance.
    EMULATOR_PORT = int(_env("EMULATOR_PORT", "8899"))
    SALESFORCE_LOGIN_URL = f"http://127.0.0.1:{EMULATOR_PORT}"
    SALESFORCE_SANDBOX_URL = f"http://127.0.0.1:{EMULATOR_PORT + 1}"
    SALESFORCE_EMULATOR_URLS = (
        f"{SALESFORCE_LOGIN_URL},{SALESFORCE_SANDBOX_URL},http://127.0.0.1:{EMULATOR_PORT + 2}"
    )
    # The emulator's demo org ships this External Client App (see salesforce_emulator/seed.py).
    SALESFORCE_CLIENT_ID = "3MVG9LemontapsDemoClientId"
    SALESFORCE_CLIENT_SECRET = "lemontaps-demo-secret"
    # Every mail goes to the demo's own catcher (lemontaps/mail_catcher.py), never out.
    MAIL_CATCHER_PORT = int(_env("MAIL_CATCHER_PORT", "8025"))
    MAIL_CATCHER_FOLDER = str(BASE_DIR / "instance" / "mail")
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = MAIL_CATCHER_PORT
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_SUPPRESS_SEND = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    BASE_URL = "http://localhost"
    SESSION_COOKIE_NAME = "lemontaps_session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_STORAGE_URI = "memory://"
    RQ_IS_ASYNC = False
    EMAIL_ALLOW_TEST_DOMAINS = True
    SALESFORCE_LOGIN_URL = "http://login.sf-emulator.localhost"
    SALESFORCE_SANDBOX_URL = "http://test.sf-emulator.localhost"
    SALESFORCE_EMULATOR_URLS = ",".join(
        [
            "http://login.sf-emulator.localhost",
            "http://test.sf-emulator.localhost",
            "http://lemontaps-demo.my.sf-emulator.localhost",
        ]
    )
    SALESFORCE_CLIENT_ID = "3MVG9LemontapsDemoClientId"
    SALESFORCE_CLIENT_SECRET = "lemontaps-demo-secret"
    TOKEN_ENCRYPTION_KEYS = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0="
    MAIL_SUPPRESS_SEND = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
