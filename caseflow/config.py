"""Settings, read from the environment so that no secret lives in the repository."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once per instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment() -> dict:
    instance = Path(os.environ.get("CASEFLOW_INSTANCE", PROJECT_ROOT / "instance"))
    return {
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'caseflow.sqlite'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "ATTACHMENT_DIR": os.environ.get("ATTACHMENT_DIR", str(instance / "attachments")),
        # a whole request: several files of at most 20 MB each (the size of one file is the service's check)
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_REQUEST_MB", "110")) * 1024 * 1024,
        # a form's token lives as long as the login (SESSION_MINUTES), not 60 minutes
        "WTF_CSRF_TIME_LIMIT": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("SESSION_MINUTES", "480"))
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_DURATION": timedelta(0),
        # the login throttle (caseflow/services/users.py: _throttled)
        "LOGIN_FREE_FAILURES": int(os.environ.get("LOGIN_FREE_FAILURES", "3")),
        "LOGIN_MAX_DELAY_SECONDS": int(os.environ.get("LOGIN_MAX_DELAY_SECONDS", "900")),
        "LOGIN_ACCOUNT_HOURLY": int(os.environ.get("LOGIN_ACCOUNT_HOURLY", "30")),
        "LOGIN_ADDRESS_HOURLY": int(os.environ.get("LOGIN_ADDRESS_HOURLY", "100")),
        "LOGIN_KNOWN_DAYS": int(os.environ.get("LOGIN_KNOWN_DAYS", "30")),
        # behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto (0: none, use the peer address)
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "TIMEZONE": "Asia/Shanghai",
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "caseflow@localhost"),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        # the reminder scheduler (caseflow/scheduler.py)
        "SCHEDULER_INTERVAL_SECONDS": float(os.environ.get("SCHEDULER_INTERVAL_SECONDS", "60")),
        # 智能交办 (caseflow/services/suggestions.py): "sync" or "background"; empty: sync under test only
        "SUGGEST_REBUILD": os.environ.get("SUGGEST_REBUILD", ""),
        "SUGGEST_TUNE_CASES": int(os.environ.get("SUGGEST_TUNE_CASES", "600")),
        # the threshold every fold chose on the 2018 并案 groups (README, 智能交办)
        "SUGGEST_DUPLICATE_THRESHOLD": float(os.environ.get("SUGGEST_DUPLICATE_THRESHOLD", "0.72")),
        "SCHEDULER_BATCH_SIZE": int(os.environ.get("SCHEDULER_BATCH_SIZE", "200")),
        "REMINDER_MAX_ATTEMPTS": int(os.environ.get("REMINDER_MAX_ATTEMPTS", "5")),
        "REMINDER_RETRY_SECONDS": float(os.environ.get("REMINDER_RETRY_SECONDS", "60")),
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", "caseflow.services.delivery:LoggingSms"),
        # background jobs (caseflow/services/jobs.py), run by the scheduler process
        "JOBS_POLL_SECONDS": float(os.environ.get("JOBS_POLL_SECONDS", "1")),
        "JOBS_MAX_ATTEMPTS": int(os.environ.get("JOBS_MAX_ATTEMPTS", "3")),
        # statistics (caseflow/stats.py)
        "LIGHT_YELLOW_DAYS": int(os.environ.get("LIGHT_YELLOW_DAYS", "15")),
        "STATS_EXTENSION_COUNTS": _bool("STATS_EXTENSION_COUNTS", True),
        # CSS font-family lists for the PDF reports; empty: GB/T 9704 names with the Noto CJK fallback
        "REPORT_FONT_BODY": os.environ.get("REPORT_FONT_BODY", ""),
        "REPORT_FONT_TITLE": os.environ.get("REPORT_FONT_TITLE", ""),
        "REPORT_FONT_HEADING": os.environ.get("REPORT_FONT_HEADING", ""),
        "ACCESS_LINK_DAYS": int(os.environ.get("ACCESS_LINK_DAYS", "90")),
    }
