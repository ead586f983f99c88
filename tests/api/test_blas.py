"""The service holds one BLAS thread for its life (requests are scored in worker threads)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from model import engine
from service.main import create_app
from service.settings import Settings


def test_the_app_holds_one_blas_thread_while_it_runs(settings: Settings) -> None:
    assert engine._blas_state["users"] == 0
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert engine._blas_state["users"] == 1  # held by the app, not by a request
    assert engine._blas_state["users"] == 0 and engine._blas_state["limiter"] is None
