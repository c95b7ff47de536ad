"""Configuration read from the environment."""
import os
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"
# Signs sessions and links in development only; production refuses to start with it.
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict:
    """Build the configuration mapping from environment variables."""
    development = os.environ.get("KVITT_ENV", "production").strip().lower() == "development"
    return {
        # Production unless KVITT_ENV=development: no test clock, no debug, a real secret key.
        "DEVELOPMENT": development,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE / 'kvitt.sqlite'}"
        ),
        "MAIL_URL": os.environ.get("MAIL_URL", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Kvitt <noreply@kvitt.example>"),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        # A test clock lets operators set and advance "now"; never in production.
        "TEST_CLOCK_ALLOWED": development and _bool("KVITT_TEST_CLOCK", True),
        "SCHEDULER_INTERVAL_SECONDS": int(os.environ.get("KVITT_SCHEDULER_INTERVAL", "60")),
        "LOG_FORMAT": os.environ.get("KVITT_LOG_FORMAT", "text"),
        "LOG_LEVEL": os.environ.get("KVITT_LOG_LEVEL", "INFO"),
        # Mail delivery: messages per claim, seconds one job run may deliver, lease per claim.
        "MAIL_BATCH_SIZE": int(os.environ.get("KVITT_MAIL_BATCH", "100")),
        "MAIL_TIME_BUDGET_SECONDS": float(os.environ.get("KVITT_MAIL_BUDGET", "50")),
        "MAIL_LEASE_SECONDS": float(os.environ.get("KVITT_MAIL_LEASE", "300")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("KVITT_SECURE_COOKIES", False),
        # Reverse proxies in front that set X-Forwarded-For/-Proto: the login limits count
        # the client's own address, not the proxy's.
        "PROXIES": int(os.environ.get("KVITT_PROXIES", "0")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A session ends after this long without a request, and this long after the login.
        "SESSION_IDLE_MINUTES": int(os.environ.get("KVITT_SESSION_IDLE_MINUTES", "60")),
        "SESSION_MAX_HOURS": int(os.environ.get("KVITT_SESSION_MAX_HOURS", "12")),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        # The vendor that issues licence invoices.
        "VENDOR_NAME": os.environ.get("KVITT_VENDOR_NAME", "Kvitt AS"),
        "VENDOR_ORGANISATION_NUMBER": os.environ.get("KVITT_VENDOR_ORGNR", "923609016"),
        "VENDOR_ADDRESS": os.environ.get("KVITT_VENDOR_ADDRESS", "Storgata 1, 0155 OSLO"),
        "VENDOR_EMAIL": os.environ.get("KVITT_VENDOR_EMAIL", "faktura@kvitt.example"),
        "VENDOR_BANK_ACCOUNT": os.environ.get("KVITT_VENDOR_ACCOUNT", "8601.11.17947"),
        # Dunning (days): reminder after the due date, each deadline, then the next step.
        "DUNNING_REMINDER_AFTER_DAYS": int(os.environ.get("KVITT_REMINDER_AFTER_DAYS", "3")),
        "DUNNING_DEADLINE_DAYS": int(os.environ.get("KVITT_DUNNING_DEADLINE_DAYS", "14")),
        "DUNNING_STEP_AFTER_DAYS": int(os.environ.get("KVITT_DUNNING_STEP_AFTER_DAYS", "1")),
        # The largest request body: a bank file of some 200 000 transactions.
        "MAX_CONTENT_LENGTH": int(os.environ.get("KVITT_MAX_UPLOAD_MB", "32")) * 1024 * 1024,
        # AvtaleGiro: the vendor's Nets data transmitter id and assignment account, the days a
        # claim must reach the bank before its due date, the days after the due date a claim
        # with no payment counts as failed.
        "NETS_ID": os.environ.get("KVITT_NETS_ID", "00123456"),
        "AVTALEGIRO_CUTOFF_DAYS": int(os.environ.get("KVITT_AVTALEGIRO_CUTOFF_DAYS", "4")),
        "AVTALEGIRO_SETTLE_DAYS": int(os.environ.get("KVITT_AVTALEGIRO_SETTLE_DAYS", "2")),
    }
