"""API throughput and latency as ratios to in-process scoring.

Scores the same transactions two ways:

* in-process: the library (``model.predict.score_frame`` on validated frames, and the same
  with the contract check, ``validate_table``, included);
* through the API on loopback: ``sidak serve`` (uvicorn) in a subprocess, httpx clients.

Two workloads: batches of ``--batch`` transactions (sequential requests) and single-
transaction requests from ``--clients`` concurrent clients (asyncio). Prints throughput
and p50/p95/p99 latency, each as a ratio to in-process, and the error count. Request
counts and duration are bounded; only 127.0.0.1 is contacted.

    python bench/api.py                       # simulates and trains a small world first
    python bench/api.py --model models/<version> --data data/raw/sim
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.bundle import load_bundle  # noqa: E402
from model.contract import load_data_dir, validate_table  # noqa: E402
from model.predict import score_frame  # noqa: E402


@dataclass
class Result:
    """One measured workload."""

    name: str
    requests: int
    transactions: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.transactions / self.seconds if self.seconds else 0.0


def percentiles(latencies: list[float]) -> tuple[float, float, float]:
    if not latencies:
        return (float("nan"),) * 3  # type: ignore[return-value]
    p50, p95, p99 = np.percentile(np.asarray(latencies) * 1000, [50, 95, 99])
    return float(p50), float(p95), float(p99)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Transactions as the JSON a dashboard would send (ISO datetimes, nulls)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column].dtype):
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.astype(object).where(out.notna(), None).to_dict(orient="records")


# --- the model and the data ---------------------------------------------------------------


def prepare(model: Path | None, data: Path | None, work: Path, seed: int) -> tuple[Path, Path]:
    """A bundle and a data directory: given, or a small simulated world and its model."""
    if data is None:
        from model.simulate import SimulationConfig, simulate_world, write_world

        data = work / "world"
        config = SimulationConfig().with_overrides(
            seed=seed, months=2, offices=4, transactions_per_office_month=600
        )
        write_world(simulate_world(config), data)
        print(f"simulated a world into {data}")
    if model is None:
        from model.settings import Settings
        from model.train import train

        settings = Settings(
            models_dir=work / "models", mlflow_tracking_uri=f"sqlite:///{work}/m.db"
        )
        model = train(data, settings, register=False, track=False).bundle_path
        print(f"trained {model.name}")
    return model, data


# --- in-process ----------------------------------------------------------------------------


def in_process(
    bundle: Any,
    raw: pd.DataFrame,
    services: list[str],
    batch: int,
    singles: int,
    max_seconds: float,
) -> tuple[Result, Result, Result]:
    """Batch (score only), batch (validate + score), single transactions (validate + score)."""
    typed = validate_table("transactions", raw, "transactions", known_services=services)
    chunk = typed.head(batch)
    score_frame(bundle, chunk, progress=False)  # warm up
    out = []
    for label, validate in (
        ("in-process batch (score)", False),
        ("in-process batch (validate+score)", True),
    ):
        latencies: list[float] = []
        stop = time.perf_counter() + max_seconds
        for _ in range(10):
            started = time.perf_counter()
            frame = (
                validate_table(
                    "transactions", raw.head(batch), "transactions", known_services=services
                )
                if validate
                else chunk
            )
            score_frame(bundle, frame, progress=False)
            latencies.append(time.perf_counter() - started)
            if time.perf_counter() > stop:
                break
        out.append(
            Result(
                label,
                len(latencies),
                len(latencies) * len(chunk),
                0,
                sum(latencies),
                *percentiles(latencies),
            )
        )
    latencies = []
    stop = time.perf_counter() + max_seconds
    for i in range(singles):
        started = time.perf_counter()
        one = validate_table(
            "transactions", raw.iloc[[i % len(raw)]], "transactions", known_services=services
        )
        score_frame(bundle, one, progress=False)
        latencies.append(time.perf_counter() - started)
        if time.perf_counter() > stop:
            break
    out.append(
        Result(
            "in-process single",
            len(latencies),
            len(latencies),
            0,
            sum(latencies),
            *percentiles(latencies),
        )
    )
    return out[0], out[1], out[2]


# --- through the API -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(model: Path, work: Path, port: int, workers: int) -> tuple[subprocess.Popen, str]:
    """``sidak serve`` on 127.0.0.1:port with a fresh database and a scorer key."""
    from service.db.migrate import upgrade
    from service.db.session import make_engine, make_sessionmaker
    from service.security import Role, create_key

    url = f"sqlite:///{work / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        _, token = create_key(session, Role.scorer, "bench")
    engine.dispose()
    env = {
        **os.environ,
        "SIDAK_DATABASE_URL": url,
        "SIDAK_MODEL_REF": str(model),
        "SIDAK_MODEL_POLL_SECONDS": "0",
        "SIDAK_LOG_LEVEL": "WARNING",
        "SIDAK_MAX_BATCH": "10000",
    }
    sidak = Path(sys.executable).parent / "sidak"
    process = subprocess.Popen(
        [
            str(sidak),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "server.log").open("wb"),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process, token
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.25)
    process.terminate()
    raise SystemExit(f"server did not become ready; see {work / 'server.log'}")


def api_batches(
    base: str, token: str, body: bytes, size: int, repeats: int, max_seconds: float
) -> Result:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        http.post("/v1/score", content=body)  # warm up
        stop = time.perf_counter() + max_seconds
        for _ in range(repeats):
            started = time.perf_counter()
            response = http.post("/v1/score", content=body)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200 or len(response.json()["scores"]) != size
            if time.perf_counter() > stop:
                break
    return Result(
        f"API batch of {size}",
        len(latencies),
        len(latencies) * size,
        errors,
        sum(latencies),
        *percentiles(latencies),
    )


async def _singles(
    base: str, token: str, bodies: list[bytes], clients: int, max_seconds: float
) -> Result:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as http:
        await asyncio.gather(*(http.post("/v1/score", content=bodies[i]) for i in range(clients)))
        stop = time.perf_counter() + max_seconds

        async def client() -> None:
            nonlocal errors
            while not queue.empty() and time.perf_counter() < stop:
                body = queue.get_nowait()
                started = time.perf_counter()
                try:
                    response = await http.post("/v1/score", content=body)
                    errors += response.status_code != 200
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        seconds = time.perf_counter() - started
    return Result(
        f"API single x{clients} clients",
        len(latencies),
        len(latencies),
        errors,
        seconds,
        *percentiles(latencies),
    )


_WRK_SCRIPT = """
local bodies = {%(bodies)s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "SIDAK %%d %%d %%f %%f %%f %%f\\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
"""


def wrk_singles(
    base: str, token: str, bodies: list[bytes], clients: int, seconds: float, work: Path
) -> Result:
    """Single-transaction requests from ``clients`` connections driven by wrk (C, one thread),
    so the load generator takes little of the cores the server needs."""
    if shutil.which("wrk") is None:
        raise SystemExit("--load-generator wrk needs Debian's wrk: apt-get install wrk")
    script = work / "singles.lua"
    quoted = ",".join("[==[" + body.decode() + "]==]" for body in bodies)
    script.write_text(_WRK_SCRIPT % {"bodies": quoted, "token": token})
    command = ["wrk", "-t1", f"-c{clients}", "-s", str(script), f"{base}/v1/score"]
    subprocess.run([*command, "-d3s"], capture_output=True, check=True)  # warm up
    out = subprocess.run(
        [*command, f"-d{max(int(seconds), 1)}s"], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("SIDAK "))
    requests, errors, duration, p50, p95, p99 = line.split()[1:]
    return Result(
        f"API single x{clients} clients (wrk)",
        int(requests),
        int(requests),
        int(errors),
        float(duration),
        float(p50),
        float(p95),
        float(p99),
    )


# --- report --------------------------------------------------------------------------------


def report(rows: list[tuple[Result, Result]]) -> None:
    print(
        f"\n{'workload':<34} {'tx/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6}   {'ratio to in-process (tx/s, p50, p95, p99)'}"
    )
    for result, baseline in rows:
        for row in (baseline, result):
            print(
                f"{row.name:<34} {row.throughput:>9.0f} {row.p50_ms:>8.1f} {row.p95_ms:>8.1f} "
                f"{row.p99_ms:>8.1f} {row.errors:>6}",
                end="",
            )
            if row is result:
                ratios = (
                    result.throughput / baseline.throughput,
                    result.p50_ms / baseline.p50_ms,
                    result.p95_ms / baseline.p95_ms,
                    result.p99_ms / baseline.p99_ms,
                )
                print("   " + ", ".join(f"{r:.2f}" for r in ratios), end="")
            print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--model", type=Path, help="bundle directory (default: train one)")
    parser.add_argument("--data", type=Path, help="data directory (default: simulate one)")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batch-requests", type=int, default=20)
    parser.add_argument("--singles", type=int, default=800, help="single-transaction requests")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--load-generator",
        choices=["auto", "python", "wrk"],
        default="auto",
        help="single-request clients: Debian's wrk (one C thread, which leaves the cores to "
        "the server; 'auto' takes it when installed) or httpx asyncio clients in this process "
        "(their own CPU time, on the same two cores, is part of the latency they measure)",
    )
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per workload")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    if args.load_generator == "auto":
        args.load_generator = "wrk" if shutil.which("wrk") else "python"
        print(f"load generator: {args.load_generator}")

    with tempfile.TemporaryDirectory(prefix="sidak-bench-api-") as tmp:
        work = Path(tmp)
        model, data = prepare(args.model, args.data, work, args.seed)
        bundle = load_bundle(model)
        dataset = load_data_dir(data)
        services = dataset.services["service_code"].tolist()
        # The raw rows as a client holds them: text values, like the JSON it sends.
        raw = pd.DataFrame.from_records(records(dataset.transactions))
        chunk = raw.sample(n=min(args.batch, len(raw)), random_state=args.seed).reset_index(
            drop=True
        )
        batch_body = json.dumps({"transactions": records(chunk)}).encode()
        singles = [json.dumps({"transactions": [r]}).encode() for r in records(chunk)]
        singles = (singles * (args.singles // max(len(singles), 1) + 1))[: args.singles]

        print(
            f"model {bundle.model_version}; {len(raw):,} transactions; load "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        batch_lib, batch_lib_checked, single_lib = in_process(
            bundle, chunk, services, args.batch, min(args.singles, 200), args.max_seconds
        )
        port = free_port()
        process, token = start_server(model, work, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            batch_api = api_batches(
                base, token, batch_body, len(chunk), args.batch_requests, args.max_seconds
            )
            if args.load_generator == "wrk":
                single_api = wrk_singles(base, token, singles, args.clients, args.max_seconds, work)
            else:
                single_api = asyncio.run(
                    _singles(base, token, singles, args.clients, args.max_seconds)
                )
        finally:
            process.terminate()
            process.wait(timeout=30)
        report([(batch_api, batch_lib), (batch_api, batch_lib_checked), (single_api, single_lib)])
        ok_batch = batch_api.throughput >= 0.5 * batch_lib.throughput
        print(
            f"\nbatch through API >= 50% of in-process (score only): {ok_batch}; "
            f"single p99 < 30 ms: {single_api.p99_ms < 30}; errors: "
            f"{batch_api.errors + single_api.errors}"
        )
        if args.output:
            results = [batch_lib, batch_lib_checked, batch_api, single_lib, single_api]
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(
                json.dumps([{**asdict(r), "throughput": r.throughput} for r in results], indent=2)
            )


if __name__ == "__main__":
    main()
