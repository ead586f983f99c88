"""A trained model with its provenance, saved so that tampering is caught before loading.

A bundle is a directory holding three files:

- ``model.joblib``: the fitted ``RiskModel`` (joblib pickle),
- ``model.joblib.sha256``: its SHA-256, in ``sha256sum`` format,
- ``metadata.json``: model version, data fingerprint, code version, parameters, metrics,
  thresholds, counts and the MLflow run / registry version when known.

``load_bundle`` checks the SHA-256 *before* unpickling (a pickle runs code when loaded), and
refuses a bundle whose hash is missing or does not match.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pandas as pd

from model import __version__
from model.errors import ModelIntegrityError, ModelNotFoundError
from model.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from model.detect import RiskModel

logger = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
HASH_FILE = "model.joblib.sha256"
METADATA_FILE = "metadata.json"
MODEL_VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")

# Sort keys used to canonicalise each contract table before fingerprinting.
_TABLE_KEYS = {
    "services": ["service_code"],
    "transactions": ["transaction_id"],
    "complaints": ["complaint_id"],
    "holidays": ["date"],
    "outcomes": ["transaction_id", "reviewed_at", "outcome"],  # a file may be reviewed twice
}


@dataclass
class ModelBundle:
    """A fitted ``RiskModel`` plus the metadata that says where it came from."""

    model: RiskModel
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def model_version(self) -> str:
        return str(self.metadata.get("model_version") or self.model.model_version_)

    def score(
        self,
        transactions: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        language: str | None = None,
    ) -> pd.DataFrame:
        """Score records (one row per transaction, input order); see ``model.detect``."""
        return self.model.score_transactions(transactions, complaints, language=language)


# --- fingerprints and versions -----------------------------------------------------------


def data_fingerprint(tables: Mapping[str, pd.DataFrame | None]) -> str:
    """SHA-256 over the canonicalised tables (hex).

    Canonical form: tables in name order, columns in name order, rows sorted by the table's
    key; each column contributes its name, dtype and pandas' per-value hashes. The tables
    are those parsed by the contract loader, so a CSV and a Parquet file holding the same
    values give the same fingerprint.
    """
    digest = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name]
        if frame is None:
            continue
        keys = [k for k in _TABLE_KEYS.get(name, []) if k in frame.columns]
        ordered = frame.sort_values(keys, kind="mergesort") if keys else frame
        ordered = ordered.reset_index(drop=True)
        digest.update(f"table:{name}:{len(ordered)}\n".encode())
        for column in sorted(map(str, ordered.columns)):
            values = ordered[column]
            digest.update(f"column:{column}:{values.dtype}\n".encode())
            hashed = pd.util.hash_pandas_object(values, index=False).to_numpy(np.uint64)
            digest.update(hashed.tobytes())
    return digest.hexdigest()


def make_model_version(fingerprint: str, now: datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ-<first 8 hex of the data fingerprint>``: sortable by training time."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{fingerprint[:8]}"


def is_model_version(text: str) -> bool:
    return bool(MODEL_VERSION_PATTERN.match(text))


def code_version() -> dict[str, str | None]:
    """The package version and, when the code runs from a git checkout, its commit."""
    commit: str | None = None
    dirty = False
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
        dirty = bool(status.strip())
    except (OSError, subprocess.SubprocessError):
        logger.debug("no git commit available for the code version")
    label = f"sidak {__version__}"
    if commit:
        label += f" ({commit[:12]}{', modified' if dirty else ''})"
    return {"package_version": __version__, "git_commit": commit, "code_version": label}


# --- saving and loading -------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_bundle(bundle: ModelBundle, directory: Path | str) -> Path:
    """Write the bundle into ``directory`` (created); returns the directory."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    model_path = target / MODEL_FILE
    partial = target / (MODEL_FILE + ".partial")
    joblib.dump(bundle.model, partial, compress=3)
    digest = sha256_file(partial)
    partial.replace(model_path)
    (target / HASH_FILE).write_text(f"{digest}  {MODEL_FILE}\n", encoding="utf-8")
    bundle.metadata["model_sha256"] = digest
    bundle.metadata["model_format"] = getattr(bundle.model, "model_format_", None)
    write_metadata(target, bundle.metadata)
    logger.info("saved model bundle %s to %s", bundle.model_version, target)
    return target


def write_metadata(directory: Path, metadata: Mapping[str, Any]) -> None:
    text = json.dumps(_jsonable(metadata), indent=2, sort_keys=True, ensure_ascii=False)
    (directory / METADATA_FILE).write_text(text + "\n", encoding="utf-8")


def read_metadata(directory: Path) -> dict[str, Any]:
    path = directory / METADATA_FILE
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def bundle_dir(path: Path | str) -> Path:
    """The bundle directory for a path to the directory or to any file inside it."""
    location = Path(path)
    directory = location if location.is_dir() else location.parent
    if not (directory / MODEL_FILE).exists():
        raise ModelNotFoundError(f"No model bundle at {location} (expected {MODEL_FILE}).")
    return directory


def verify_bundle(path: Path | str) -> Path:
    """Check the model file against its recorded SHA-256; returns the bundle directory."""
    directory = bundle_dir(path)
    hash_path = directory / HASH_FILE
    if not hash_path.exists():
        raise ModelIntegrityError(
            f"Refused {directory / MODEL_FILE}: its hash file {HASH_FILE} is missing, so the "
            "model cannot be verified. Retrain or restore the bundle."
        )
    recorded = hash_path.read_text(encoding="utf-8").split()
    actual = sha256_file(directory / MODEL_FILE)
    if not recorded or recorded[0].lower() != actual:
        raise ModelIntegrityError(
            f"Refused {directory / MODEL_FILE}: its SHA-256 ({actual[:16]}...) does not match "
            f"the recorded one. The file was changed after training; retrain or restore it."
        )
    return directory


def load_bundle(path: Path | str) -> ModelBundle:
    """Verify, then unpickle a bundle saved by ``save_bundle``."""
    from model.detect import MODEL_FORMAT

    directory = verify_bundle(path)
    metadata = read_metadata(directory)
    if metadata.get("model_format") != MODEL_FORMAT:
        raise ModelIntegrityError(
            f"Refused {directory}: it was trained by a Sidak whose fitted state differs from "
            f"this one (model format {metadata.get('model_format')}, this code reads "
            f"{MODEL_FORMAT}). Retrain it with `sidak train DATA_DIR`."
        )
    model = joblib.load(directory / MODEL_FILE)
    metadata.setdefault("model_version", getattr(model, "model_version_", None))
    return ModelBundle(model=model, metadata=metadata)


def _jsonable(value: Any) -> Any:
    """Metadata values as plain JSON types (numpy scalars, paths, timestamps...)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
