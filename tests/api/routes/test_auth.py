"""Keys and roles: 401 without a valid key, 403 for a role too low, open health probes."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.db.session import make_engine
from service.main import create_app
from service.security import KeyCache, Principal, Role, create_key, revoke_key, verify_token
from service.settings import Settings
from tests.api.conftest import to_records


def test_probes_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "alive"}
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/score"),
        ("post", "/v1/score/file"),
        ("get", "/v1/model"),
        ("post", "/v1/model/reload"),
        ("post", "/v1/entities/officers"),
        ("get", "/metrics"),
    ],
)
def test_every_route_needs_a_key(client: TestClient, method: str, path: str) -> None:
    missing = getattr(client, method)(path)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "unauthorized"
    wrong = getattr(client, method)(path, headers={"Authorization": "Bearer sidak_abc_def"})
    assert wrong.status_code == 401
    junk = getattr(client, method)(path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert junk.status_code == 401


def test_tampered_secret_is_refused(client: TestClient, headers: dict) -> None:
    token = headers["admin"]["Authorization"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get("/v1/model", headers={"Authorization": tampered}).status_code == 401


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        ("scorer", "get", "/v1/model", True),
        ("scorer", "post", "/v1/entities/officers", False),
        ("scorer", "post", "/v1/model/reload", False),
        ("scorer", "get", "/metrics", False),
        ("supervisor", "post", "/v1/entities/offices", True),
        ("supervisor", "post", "/v1/model/reload", False),
        ("admin", "post", "/v1/model/reload", True),
        ("admin", "get", "/metrics", True),
    ],
)
def test_role_matrix(
    client: TestClient,
    headers: dict,
    transactions: pd.DataFrame,
    role: str,
    method: str,
    path: str,
    allowed: bool,
) -> None:
    kwargs = {}
    if method == "post" and "reload" not in path:
        kwargs = {"json": {"transactions": to_records(transactions.head(20))}}
    response = getattr(client, method)(path, headers=headers[role], **kwargs)
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


def test_revoked_key_stops_working(settings: Settings, db: Session) -> None:
    # Without the key cache (SIDAK_KEY_CACHE_SECONDS=0) the next request is refused.
    app = create_app(settings.model_copy(update={"key_cache_seconds": 0}))
    row, token = create_key(db, Role.scorer, "temp")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        assert client.get("/v1/model", headers=auth).status_code == 200
        revoke_key(db, row.id)
        assert verify_token(db, token) is None
        assert client.get("/v1/model", headers=auth).status_code == 401


def test_revoked_key_stops_working_within_the_cache_ttl(settings: Settings, db: Session) -> None:
    ttl = 0.5
    app = create_app(settings.model_copy(update={"key_cache_seconds": ttl}))
    row, token = create_key(db, Role.scorer, "temp")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        assert client.get("/v1/model", headers=auth).status_code == 200
        revoke_key(db, row.id)
        revoked_at = time.monotonic()
        # Remembered as verified until the TTL runs out (documented in service.security).
        response = client.get("/v1/model", headers=auth)
        assert response.status_code == (200 if time.monotonic() - revoked_at < ttl else 401)
        time.sleep(ttl)
        assert client.get("/v1/model", headers=auth).status_code == 401
        wrong = {"Authorization": f"Bearer {token[:-2]}xx"}  # never cached: always looked up
        assert client.get("/v1/model", headers=wrong).status_code == 401


def test_key_cache_expires_and_stays_bounded() -> None:
    now = [0.0]
    cache = KeyCache(10.0, max_entries=2, clock=lambda: now[0])
    principals = [Principal(i, f"key {i}", Role.scorer) for i in range(3)]
    for i, principal in enumerate(principals):
        cache.put(f"token-{i}", principal)
    assert cache.get("token-0") is None  # the oldest was dropped
    assert cache.get("token-2") == principals[2]
    now[0] = 10.0
    assert cache.get("token-2") is None
    assert KeyCache(0).get("token-1") is None


def test_keys_are_stored_hashed(settings: Settings, headers: dict) -> None:
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT prefix, secret_sha256 FROM api_keys").fetchall()
    engine.dispose()
    secrets = [h["Authorization"].split("_", 2)[2] for h in headers.values()]
    stored = " ".join(f"{p} {s}" for p, s in rows)
    assert all(secret not in stored for secret in secrets)
    assert all(len(s) == 64 for _, s in rows)


def test_metrics_can_be_public(settings: Settings, headers: dict) -> None:
    public = settings.model_copy(update={"metrics_public": True})
    with TestClient(create_app(public)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert "sidak_model_loaded 1.0" in response.text
