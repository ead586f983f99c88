"""The model in service: resolved, verified, loaded fully, then swapped in atomically.

``ModelStore.current`` is one reference to an immutable ``ServedModel``. A reload builds the
new one completely (resolve -> verify SHA-256 -> unpickle) before replacing the reference, so
a request that already took ``current`` finishes on the old model and nothing is dropped.
A failed reload keeps the model in service. Polling (a daemon thread) does the same when the
resolved bundle's hash changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from model.errors import SidakError

log = logging.getLogger("sidak.service.model")

Resolver = Callable[[str | None], Path]
Loader = Callable[[Path], Any]


@dataclass(frozen=True)
class ServedModel:
    """A loaded, verified bundle and what the API reports about it."""

    bundle: Any  # model.bundle.ModelBundle
    path: Path
    sha256: str
    loaded_at: datetime
    known_services: frozenset[str] | None = field(default=None, compare=False)

    @property
    def version(self) -> str:
        return str(self.bundle.model_version)

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(getattr(self.bundle, "metadata", {}) or {})


def registry_resolver(settings: Any = None) -> Resolver:
    """``model.registry.resolve_model`` bound to ``settings``: the champion alias when the
    tracking store has one, else the newest verified bundle in ``settings.models_dir``."""

    def resolve(ref: str | None) -> Path:
        from model.registry import resolve_model

        return Path(resolve_model(ref, settings))

    return resolve


def _default_loader(path: Path) -> Any:
    from model.bundle import load_bundle

    return load_bundle(path)


def recorded_sha256(path: Path) -> str | None:
    """The SHA-256 recorded beside a bundle's model file (cheap: no hashing)."""
    from model.bundle import HASH_FILE

    directory = path if path.is_dir() else path.parent
    hash_file = directory / HASH_FILE
    if not hash_file.exists():
        return None
    words = hash_file.read_text(encoding="utf-8").split()
    return words[0].lower() if words else None


def known_services(bundle: Any) -> frozenset[str] | None:
    """The service codes of the catalogue the model was trained with (None if it has none)."""
    model = getattr(bundle, "model", bundle)
    candidates = [model, getattr(model, "features_", None), getattr(model, "builder_", None)]
    for holder in candidates:
        services = getattr(holder, "services_", None)
        if services is not None and "service_code" in getattr(services, "columns", ()):
            return frozenset(str(code) for code in services["service_code"])
    codes = getattr(bundle, "metadata", {}).get("service_codes")
    return frozenset(codes) if codes else None


class ModelStore:
    """Holds the served model; thread-safe reloads; reports why it is not ready."""

    def __init__(
        self,
        ref: str | None = None,
        *,
        resolver: Resolver | None = None,
        loader: Loader | None = None,
    ) -> None:
        self.ref = ref
        self._resolver = resolver or registry_resolver()
        self._loader = loader or _default_loader
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self.current: ServedModel | None = None
        self.reason: str = "no model loaded yet"
        self.listeners: list[Callable[[ServedModel | None, ServedModel], None]] = []

    @property
    def ready(self) -> bool:
        return self.current is not None

    def load(self, ref: str | None = None) -> ServedModel:
        """Resolve ``ref`` (default: the configured one), load it fully, then swap it in.

        Raises ``SidakError`` (not found / integrity) and keeps the current model on failure.
        """
        with self._reload_lock:
            wanted = self.ref if ref is None else ref
            try:
                path = self._resolver(wanted)
                bundle = self._loader(path)
            except SidakError as error:
                if self.current is None:
                    self.reason = str(error)
                raise
            sha = str(
                (getattr(bundle, "metadata", {}) or {}).get("model_sha256")
                or recorded_sha256(path)
                or ""
            )
            served = ServedModel(
                bundle=bundle,
                path=path,
                sha256=sha,
                loaded_at=datetime.now(UTC),
                known_services=known_services(bundle),
            )
            previous, self.current = self.current, served  # the atomic swap
            self.reason = ""
            log.info("serving model %s (sha256 %s...)", served.version, sha[:12])
            for listener in self.listeners:
                listener(previous, served)
            return served

    def try_load(self, ref: str | None = None) -> ServedModel | None:
        """``load`` that logs instead of raising (startup: not ready, and says why)."""
        try:
            return self.load(ref)
        except SidakError as error:
            log.warning("no model in service: %s", error)
            return None
        except Exception as error:  # a broken pickle must not stop the service from starting
            if self.current is None:
                self.reason = f"model could not be loaded ({type(error).__name__})"
            log.exception("model load failed")
            return None

    def poll_once(self) -> bool:
        """Swap in the resolved bundle if its hash differs from the one in service."""
        try:
            path = self._resolver(self.ref)
        except SidakError as error:
            if self.current is None:
                self.reason = str(error)
            return False
        sha = recorded_sha256(path)
        current = self.current
        if current is not None and sha is not None and sha == current.sha256:
            return False
        return self.try_load() is not None

    def start_polling(self, seconds: float) -> None:
        """Poll every ``seconds`` in a daemon thread (no-op when ``seconds`` <= 0)."""
        if seconds <= 0 or self._poller is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(seconds):
                try:
                    self.poll_once()
                except Exception:  # keep polling whatever one attempt did
                    log.exception("model poll failed")

        self._poller = threading.Thread(target=run, name="sidak-model-poll", daemon=True)
        self._poller.start()

    def stop_polling(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
            self._poller = None
