"""API keys: high-entropy tokens stored as SHA-256, roles, and constant-time verification.

A key reads ``sidak_<prefix>_<secret>``. The prefix (public, unique) finds the row; the
SHA-256 of the secret is compared with ``hmac.compare_digest``. The key itself is printed
once at creation and never stored.

Roles are ordered, each including the ones below it: ``admin ⊇ supervisor ⊇ scorer``.

| route                                   | scorer | supervisor | admin |
|-----------------------------------------|--------|------------|-------|
| POST /v1/score, /v1/score/file          | yes    | yes        | yes   |
| GET  /v1/model                          | yes    | yes        | yes   |
| POST /v1/entities/{officers,offices}    | no     | yes        | yes   |
| POST /v1/model/reload, GET /metrics (*) | no     | no         | yes   |

(*) /metrics is open instead when ``SIDAK_METRICS_PUBLIC=true``.

Verified keys are remembered in memory for ``SIDAK_KEY_CACHE_SECONDS`` (default 5 s; 0 turns
it off), so a busy client does not cost a database look-up per request. A key revoked with
``sidak keys revoke`` is refused on every replica at most that long after the revocation;
a key never seen valid (wrong, unknown) is looked up every time.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ApiKey

TOKEN_PREFIX = "sidak"


class Role(enum.StrEnum):
    """Roles in increasing power; a role may do everything the ones below it may."""

    scorer = "scorer"
    supervisor = "supervisor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True)
class Principal:
    """The caller behind a verified key (no secret material)."""

    key_id: int
    name: str
    role: Role


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create_key(session: Session, role: Role | str, name: str = "") -> tuple[ApiKey, str]:
    """Store a new key and return (row, token); the token is shown once and not kept."""
    role = Role(role)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        name=name or f"{role.value} key",
        role=role.value,
        prefix=prefix,
        secret_sha256=_sha256(secret),
    )
    session.add(row)
    session.commit()
    return row, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id: int) -> ApiKey | None:
    """Mark a key revoked (kept for the audit trail); None when no such key."""
    row = session.get(ApiKey, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.commit()
    return row


def verify_token(session: Session, token: str) -> Principal | None:
    """The principal for a valid, unrevoked token, else None (no hint which part failed)."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        # Still hash something so a malformed token costs about what a wrong one does.
        hmac.compare_digest(_sha256(token), "0" * 64)
        return None
    _, prefix, secret = parts
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    expected = row.secret_sha256 if row is not None else "0" * 64
    matches = hmac.compare_digest(_sha256(secret), expected)
    if row is None or not matches or row.revoked_at is not None:
        return None
    return Principal(key_id=row.id, name=row.name, role=Role(row.role))


class KeyCache:
    """Principals of recently verified tokens, each for ``ttl_seconds`` after verification.

    Tokens are held as SHA-256 digests. At most ``max_entries`` (least recently verified
    dropped first). Thread-safe; ``ttl_seconds <= 0`` caches nothing.
    """

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        if self.ttl_seconds <= 0:
            return None
        key = _sha256(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self.clock() >= entry[0]:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        if self.ttl_seconds <= 0:
            return
        key = _sha256(token)
        with self._lock:
            self._entries[key] = (self.clock() + self.ttl_seconds, principal)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
