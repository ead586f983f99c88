"""Against a real server on a free loopback port: uvicorn in a thread, and ``sidak serve``.

Covers what TestClient cannot: real sockets and concurrency — a hot swap while sixteen
clients score drops nothing, and coalesced single requests score exactly as one batch.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import pytest
import uvicorn

from service.main import create_app
from service.settings import Settings
from tests.api.conftest import MODEL_VERSION, MODEL_VERSION_2, _keys, to_records

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live(settings: Settings) -> Iterator[tuple[str, dict]]:
    """(base URL, headers per role) of a uvicorn server running the app in a thread."""
    headers = _keys(settings.database_url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", headers
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_hot_swap_under_load_drops_nothing(
    live: tuple[str, dict], transactions: pd.DataFrame, second_bundle: Path
) -> None:
    base, headers = live
    records = to_records(transactions)
    deadline = time.monotonic() + 120  # bounded even on a loaded machine
    seen: dict[str, int] = {}
    failures: list[str] = []
    swaps = 0
    clients_done = threading.Event()

    def enough() -> bool:
        return len(seen) == 2 and swaps >= 3 and sum(seen.values()) >= 64

    def client_loop(worker: int) -> int:
        done = 0
        with httpx.Client(base_url=base, headers=headers["scorer"], timeout=60) as http:
            while not enough() and time.monotonic() < deadline:
                size = 1 if worker % 2 else 25
                start = (done * 7 + worker) % (len(records) - size)
                body = {"transactions": records[start : start + size]}
                response = http.post("/v1/score", json=body)
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                payload = response.json()
                versions = {s["model_version"] for s in payload["scores"]}
                if versions != {payload["model_version"]} or len(payload["scores"]) != size:
                    failures.append(f"mixed or short response: {versions}")
                seen[payload["model_version"]] = seen.get(payload["model_version"], 0) + 1
                done += 1
        return done

    def swapper() -> None:
        nonlocal swaps
        with httpx.Client(base_url=base, headers=headers["admin"], timeout=60) as http:
            while not clients_done.is_set() and time.monotonic() < deadline:
                for ref in (str(second_bundle), None):
                    response = http.post("/v1/model/reload", json={"ref": ref})
                    assert response.status_code == 200, response.text
                    swaps += 1
                    time.sleep(0.2)  # let requests run on each model

    with ThreadPoolExecutor(17) as pool:
        swapping = pool.submit(swapper)
        counts = list(pool.map(client_loop, range(16)))
        clients_done.set()
        swapping.result()
    assert not failures, failures[:5]
    assert set(seen) == {MODEL_VERSION, MODEL_VERSION_2}, (seen, swaps, counts)
    assert swaps >= 3


def test_coalesced_singles_equal_one_batch(
    live: tuple[str, dict], transactions: pd.DataFrame
) -> None:
    base, headers = live
    records = to_records(transactions.head(64))
    with httpx.Client(base_url=base, headers=headers["scorer"], timeout=30) as http:
        batch = http.post("/v1/score", json={"transactions": records}).json()["scores"]

        def one(record: dict) -> dict:
            return http.post("/v1/score", json={"transactions": [record]}).json()["scores"][0]

        with ThreadPoolExecutor(16) as pool:
            singles = list(pool.map(one, records))
        metrics = http.get("/metrics", headers=headers["admin"]).text
    assert singles == batch
    shared = [
        line for line in metrics.splitlines() if line.startswith("sidak_coalesced_requests_total")
    ]
    assert shared and float(shared[0].split()[-1]) > 0, "16 concurrent singles should share calls"


def test_sidak_serve_subprocess(
    settings: Settings, transactions: pd.DataFrame, tmp_path: Path
) -> None:
    headers = _keys(settings.database_url)
    port = free_port()
    env = {
        **os.environ,
        "SIDAK_DATABASE_URL": settings.database_url,
        "SIDAK_MODELS_DIR": str(settings.models_dir),
        "SIDAK_MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "SIDAK_MODEL_POLL_SECONDS": "0",
    }
    sidak = Path(sys.executable).parent / "sidak"
    process = subprocess.Popen(
        [str(sidak), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("wb"),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "sidak serve did not become ready"
            time.sleep(0.2)
        response = httpx.post(
            f"{base}/v1/score",
            json={"transactions": to_records(transactions.head(3))},
            headers=headers["scorer"],
        )
        assert response.status_code == 200
        assert response.json()["model_version"] == MODEL_VERSION
        assert httpx.get(f"{base}/v1/model").status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=20)
    log = (tmp_path / "serve.log").read_text()
    assert transactions["transaction_id"].iloc[0] not in log
