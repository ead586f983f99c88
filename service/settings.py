"""The service's settings: the library's ``Settings`` plus what only the API needs.

Read from the environment with the same ``SIDAK_`` prefix (e.g. ``SIDAK_DATABASE_URL``,
``SIDAK_MAX_BATCH``); nothing else in ``service/`` reads ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache

from model.settings import PROJECT_ROOT
from model.settings import Settings as ModelSettings

MiB = 1024 * 1024


class Settings(ModelSettings):
    """Typed service settings with embedded defaults (SQLite under ``var/``, loopback)."""

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'sidak.db'}"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Which model to serve: a registry version/alias or a bundle path; None = champion
    # alias when a tracking URI is set, else the newest local bundle in models_dir.
    model_ref: str | None = None
    # Poll for a newer champion/bundle every N seconds and hot-swap it; 0 disables polling.
    model_poll_seconds: float = 60.0
    # Limits: transactions per JSON request, rows per uploaded file, body sizes in bytes.
    max_batch: int = 10_000
    max_file_rows: int = 1_000_000
    max_entity_rows: int = 200_000
    max_request_bytes: int = 16 * MiB
    max_upload_bytes: int = 256 * MiB
    # Entity ranking: most rows returned.
    max_entities: int = 1_000
    # /metrics: False = needs an admin key (Bearer); True = open (scrape on a private network).
    metrics_public: bool = False
    # Concurrent single/small scoring requests are coalesced into one model call when each
    # holds at most this many transactions; 0 disables coalescing.
    coalesce_max_rows: int = 32
    # Verified API keys are remembered this many seconds (0 = look every key up every time):
    # a revoked key is refused at most this long after ``sidak keys revoke``.
    key_cache_seconds: float = 5.0
    # Run migrations when the app starts (``sidak db upgrade`` does the same by hand).
    migrate_on_startup: bool = True
    log_level: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    """The process-wide service settings (cached; tests build their own ``Settings``)."""
    return Settings()
