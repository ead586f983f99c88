"""MLflow tracking and model registry for Sidak: log runs, register models, find the served one.

Everything works offline on the embedded defaults: a SQLite store (``settings.
mlflow_tracking_uri``) and local artifacts (``settings.mlflow_artifact_root``). A trained
model lives twice: as a local bundle in ``settings.models_dir/<model_version>/`` (what
scoring loads, after SHA-256 verification) and as MLflow artifacts of its run (the bundle
files plus a pyfunc model), registered as a version of ``settings.registered_model_name``
tagged ``sidak_model_version``. The served model is the version with alias ``champion``.

MLflow is imported lazily and kept quiet: no telemetry, no URL banners, no progress bars.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from model.bundle import (
    HASH_FILE,
    MODEL_FILE,
    ModelBundle,
    is_model_version,
    load_bundle,
    read_metadata,
    verify_bundle,
    write_metadata,
)
from model.errors import ModelNotFoundError, SidakError
from model.settings import PROJECT_ROOT, Settings, get_settings

logger = logging.getLogger(__name__)

CHAMPION = "champion"
VERSION_TAG = "sidak_model_version"
BUNDLE_ARTIFACT_PATH = "bundle"
PYFUNC_NAME = "model"
_QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "MLFLOW_LOGGING_LEVEL": "WARNING",
}


def _mlflow() -> ModuleType:
    """Import MLflow with telemetry, URL banners and progress bars switched off."""
    for name, value in _QUIET_ENV.items():
        os.environ.setdefault(name, value)
    import mlflow

    for noisy in ("mlflow", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return mlflow


# --- store set-up --------------------------------------------------------------------------


def _sqlite_path(uri: str) -> Path | None:
    match = re.match(r"^sqlite:///(.+)$", uri)
    return Path(match.group(1)) if match else None


def store_exists(settings: Settings) -> bool:
    """False when the tracking store is a SQLite file that has not been created yet."""
    path = _sqlite_path(settings.mlflow_tracking_uri)
    return path is None or path.exists()


def client(settings: Settings) -> Any:
    """An ``MlflowClient`` on the configured store (the SQLite folder is created if needed)."""
    mlflow = _mlflow()
    path = _sqlite_path(settings.mlflow_tracking_uri)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.mlflow_tracking_uri)
    return mlflow.MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_tracking_uri)


def ensure_experiment(settings: Settings) -> str:
    """The experiment id, creating it with artifacts under ``mlflow_artifact_root``."""
    tracking = client(settings)
    experiment = tracking.get_experiment_by_name(settings.mlflow_experiment)
    if experiment is not None:
        return str(experiment.experiment_id)
    root = Path(settings.mlflow_artifact_root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return str(tracking.create_experiment(settings.mlflow_experiment, root.as_uri()))


# --- the pyfunc flavour --------------------------------------------------------------------


def _python_model_base() -> type:
    return _mlflow().pyfunc.PythonModel


class SidakPyfunc(_python_model_base()):  # type: ignore[misc]
    """MLflow pyfunc wrapper: loads the verified bundle; ``predict`` returns score records.

    Input is a DataFrame of transactions in the data contract (typed, or as text such as
    JSON sent to a serving endpoint); it is parsed and checked like a transactions file.
    """

    def load_context(self, context: Any) -> None:
        self.bundle = load_bundle(context.artifacts[BUNDLE_ARTIFACT_PATH])

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        from model.contract import validate_table

        language = (params or {}).get("language")
        transactions = validate_table(
            "transactions", pd.DataFrame(model_input), "model input", timezone=_timezone()
        )
        return self.bundle.score(transactions, language=language)


def _timezone() -> str:
    return get_settings().timezone


def _input_example(transactions: pd.DataFrame, rows: int = 3) -> pd.DataFrame:
    """A few transactions as JSON-friendly values: ISO text datetimes, None for empty."""
    example = transactions.head(rows).copy()
    for column in example.columns:
        values = example[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
            example[column] = text.astype(object).where(values.notna(), None)
        else:
            example[column] = values.astype(object).where(values.notna(), None)
    return example


def model_signature(language: str) -> Any:
    """Inputs: the contract's transaction columns (any type; ``predict`` parses them like a
    transactions file, so ISO text and typed values both work); param: ``language``."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema
    from mlflow.types.schema import AnyType

    from model.contract import TABLE_SPECS

    inputs = Schema(
        [
            ColSpec(AnyType(), name, required=spec.required)
            for name, spec in TABLE_SPECS["transactions"].items()
        ]
    )
    params = ParamSchema([ParamSpec("language", "string", language)])
    return ModelSignature(inputs=inputs, params=params)


_MODEL_CODE = """\
# MLflow models-from-code entry point for Sidak (written by model/registry.py).
import mlflow

from model.registry import SidakPyfunc

mlflow.models.set_model(SidakPyfunc())
"""


def _pip_requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    requirements = []
    for package in ("mlflow", "pandas", "numpy", "scikit-learn", "scipy", "joblib", "pandera"):
        try:
            requirements.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            continue
    requirements += ["holidays", "pyarrow"]
    return requirements


def log_pyfunc(bundle_path: Path, transactions: pd.DataFrame | None, language: str) -> Any:
    """Log the bundle as a pyfunc model (models-from-code, with Sidak's ``model`` package)."""
    import tempfile

    mlflow = _mlflow()
    example = None if transactions is None else _input_example(transactions)
    with tempfile.TemporaryDirectory(prefix="sidak-pyfunc-") as scratch:
        code = Path(scratch) / "sidak_pyfunc.py"
        code.write_text(_MODEL_CODE, encoding="utf-8")
        return mlflow.pyfunc.log_model(
            name=PYFUNC_NAME,
            python_model=str(code),
            artifacts={BUNDLE_ARTIFACT_PATH: str(bundle_path)},
            code_paths=[str(PROJECT_ROOT / "model")],
            pip_requirements=_pip_requirements(),
            signature=model_signature(language),
            input_example=example,
        )


# --- logging a training run ----------------------------------------------------------------


@dataclass
class RunRecord:
    """Where a training run went: the MLflow run and, if registered, the registry version."""

    run_id: str
    registered_version: str | None = None


def metric_key(name: str) -> str:
    """A metric or param name with the characters MLflow refuses replaced."""
    return re.sub(r"[^/\w.\- ]", "_", name.replace("@", "_at_"))


def numeric_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The finite numeric metrics, with MLflow-safe keys."""
    out = {}
    for key, value in metrics.items():
        if isinstance(value, bool | int | float) and pd.notna(value):
            out[metric_key(key)] = float(value)
    return out


def log_training_run(
    bundle: ModelBundle,
    bundle_path: Path,
    *,
    figures: Mapping[str, Any] | None = None,
    transactions: pd.DataFrame | None = None,
    register: bool = True,
    settings: Settings | None = None,
) -> RunRecord:
    """Log one training run (params, tags, metrics, plots, bundle, pyfunc) and register it.

    Updates ``metadata.json`` in ``bundle_path`` with the run id and registry version.
    """
    settings = settings or get_settings()
    mlflow = _mlflow()
    experiment_id = ensure_experiment(settings)
    metadata = bundle.metadata
    with mlflow.start_run(experiment_id=experiment_id, run_name=bundle.model_version) as run:
        record = RunRecord(run_id=run.info.run_id)
        metadata["mlflow_run_id"] = record.run_id
        mlflow.log_params({metric_key(k): _param(v) for k, v in metadata["params"].items()})
        mlflow.set_tags(_run_tags(metadata))
        mlflow.log_metrics(numeric_metrics(metadata.get("metrics", {})))
        for name, figure in (figures or {}).items():
            mlflow.log_figure(figure, f"plots/{name}.png")
        language = str(metadata.get("params", {}).get("language") or settings.language)
        info = log_pyfunc(bundle_path, transactions, language)
        if register:
            record.registered_version = _register(info, record.run_id, bundle, settings)
            metadata["registered_version"] = record.registered_version
        write_metadata(bundle_path, metadata)
        mlflow.log_artifacts(str(bundle_path), BUNDLE_ARTIFACT_PATH)
    logger.info(
        "logged run %s for model %s (registry version %s)",
        record.run_id,
        bundle.model_version,
        record.registered_version,
    )
    return record


def _param(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 6000 else text[:5997] + "..."


def _run_tags(metadata: Mapping[str, Any]) -> dict[str, str]:
    tags = {
        VERSION_TAG: str(metadata["model_version"]),
        "data_fingerprint": str(metadata.get("data_fingerprint", "")),
        "code_version": str(metadata.get("code_version", "")),
        "git_commit": str(metadata.get("git_commit") or ""),
        "package_version": str(metadata.get("package_version", "")),
        "data_source": str(metadata.get("data_source", "")),
    }
    return {key: value for key, value in tags.items() if value}


def _register(info: Any, run_id: str, bundle: ModelBundle, settings: Settings) -> str:
    """A new registry version for the logged pyfunc, tagged with the sidak model version.

    Uses the client directly: ``mlflow.register_model`` prints banners to stderr.
    """
    mlflow = _mlflow()
    tracking = client(settings)
    name = settings.registered_model_name
    try:
        tracking.create_registered_model(
            name, description="Sidak: extortion (pungli) risk per public-service transaction."
        )
    except mlflow.exceptions.MlflowException as error:
        if error.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    version = tracking.create_model_version(
        name,
        source=info.model_uri,
        run_id=run_id,
        tags={VERSION_TAG: bundle.model_version},
        description=str(bundle.metadata.get("code_version", "")),
        model_id=getattr(info, "model_id", None),
    )
    return str(version.version)


def log_to_model_run(
    model_version: str,
    metrics: Mapping[str, Any],
    files: Iterable[Path] = (),
    *,
    prefix: str = "eval",
    settings: Settings | None = None,
) -> str | None:
    """Add evaluation metrics and files to the training run of ``model_version``, if found.

    Metrics are logged as ``<prefix>/<name>`` and files under the ``<prefix>/`` artifact
    folder; returns the run id, or None when no run is known for the model.
    """
    from mlflow.entities import Metric

    settings = settings or get_settings()
    run_id = find_run_id(model_version, settings)
    if run_id is None:
        logger.info("no MLflow run found for model %s: evaluation not logged", model_version)
        return None
    tracking = client(settings)
    now = int(time.time() * 1000)
    safe = numeric_metrics({f"{prefix}/{k}": v for k, v in metrics.items()})
    tracking.log_batch(run_id, metrics=[Metric(k, v, now, 0) for k, v in safe.items()])
    for path in files:
        tracking.log_artifact(run_id, str(path), prefix)
    logger.info("logged evaluation of %s to MLflow run %s", model_version, run_id)
    return run_id


def find_run_id(model_version: str, settings: Settings) -> str | None:
    """The MLflow run that trained ``model_version`` (local metadata first, then the store)."""
    local = Path(settings.models_dir) / model_version
    run_id = read_metadata(local).get("mlflow_run_id") if local.is_dir() else None
    if run_id or not store_exists(settings):
        return run_id
    tracking = client(settings)
    experiment = tracking.get_experiment_by_name(settings.mlflow_experiment)
    if experiment is None:
        return None
    runs = tracking.search_runs(
        [experiment.experiment_id], f"tags.{VERSION_TAG} = '{model_version}'", max_results=1
    )
    return runs[0].info.run_id if runs else None


# --- promotion and resolution --------------------------------------------------------------


def promote(version: str, settings: Settings | None = None) -> Any:
    """Point the ``champion`` alias at a registry version (number or sidak model version)."""
    settings = settings or get_settings()
    found = _registry_version(version, settings)
    client(settings).set_registered_model_alias(
        settings.registered_model_name, CHAMPION, found.version
    )
    logger.info("model version %s is now %s", found.version, CHAMPION)
    return found


def _registry_version(ref: str, settings: Settings) -> Any:
    """The registry ModelVersion for a version number, an alias or a sidak model version."""
    if not store_exists(settings):
        raise ModelNotFoundError(
            f"No MLflow store at {settings.mlflow_tracking_uri}: train a model first "
            "(sidak train DATA_DIR)."
        )
    mlflow = _mlflow()
    tracking = client(settings)
    name = settings.registered_model_name
    try:
        if ref.isdigit():
            return tracking.get_model_version(name, ref)
        if is_model_version(ref):
            found = tracking.search_model_versions(
                f"name = '{name}' and tags.{VERSION_TAG} = '{ref}'"
            )
            if found:
                return found[0]
            raise ModelNotFoundError(f"Model version {ref} is not in the registry '{name}'.")
        return tracking.get_model_version_by_alias(name, ref)
    except mlflow.exceptions.MlflowException as error:
        raise ModelNotFoundError(
            f"No registered model '{name}' version or alias '{ref}' "
            f"({error.error_code}). List them with: sidak models"
        ) from None


def resolve_model(ref: str | None = None, settings: Settings | None = None) -> Path:
    """The verified local bundle directory a model reference points at.

    ``ref``: None (the champion if the registry has one, else the newest local bundle), a
    registry version number, an alias such as "champion", a sidak model version
    ("20261123T124501Z-1a2b3c4d"), or a path to a bundle directory or file in it.
    """
    settings = settings or get_settings()
    if ref is None:
        return _default_bundle(settings)
    path = Path(ref).expanduser()
    if path.exists():
        return verify_bundle(path)
    if is_model_version(ref):
        local = Path(settings.models_dir) / ref
        if (local / MODEL_FILE).exists():
            return verify_bundle(local)
    return _bundle_for(_registry_version(ref, settings), settings)


def _default_bundle(settings: Settings) -> Path:
    if store_exists(settings):
        try:
            return _bundle_for(_registry_version(CHAMPION, settings), settings)
        except ModelNotFoundError:
            logger.debug("no champion in the registry; using the newest local bundle")
    bundles = local_bundles(settings)
    if not bundles:
        raise ModelNotFoundError(
            f"No trained model found (no champion in the registry, no bundle in "
            f"{settings.models_dir}). Train one first: sidak train DATA_DIR"
        )
    return verify_bundle(bundles[-1])


def local_bundles(settings: Settings) -> list[Path]:
    """Bundle directories in ``models_dir``, oldest first (model versions sort by time)."""
    root = Path(settings.models_dir)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if (p / MODEL_FILE).exists() and is_model_version(p.name)]
    return sorted(found, key=lambda p: p.name)


def _bundle_for(version: Any, settings: Settings) -> Path:
    """The local bundle of a registry version, downloaded from its run when not on disk."""
    model_version = (version.tags or {}).get(VERSION_TAG)
    if model_version:
        local = Path(settings.models_dir) / model_version
        if (local / MODEL_FILE).exists():
            return verify_bundle(local)
    if not version.run_id:
        raise ModelNotFoundError(f"Registry version {version.version} has no training run.")
    target = Path(settings.models_dir) / (model_version or f"registry-v{version.version}")
    return _download_bundle(version.run_id, target)


def _download_bundle(run_id: str, target: Path) -> Path:
    mlflow = _mlflow()
    staging = target.with_name(target.name + ".download")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=BUNDLE_ARTIFACT_PATH, dst_path=str(staging)
        )
    except mlflow.exceptions.MlflowException as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelNotFoundError(f"Cannot fetch the bundle of run {run_id}: {error}") from None
    downloaded = staging / BUNDLE_ARTIFACT_PATH
    if not (downloaded / HASH_FILE).exists():
        shutil.rmtree(staging, ignore_errors=True)
        raise SidakError(f"Run {run_id} holds no verifiable bundle ({HASH_FILE} missing).")
    verify_bundle(downloaded)
    shutil.rmtree(target, ignore_errors=True)
    downloaded.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    logger.info("fetched bundle of run %s into %s", run_id, target)
    return target


# --- listing --------------------------------------------------------------------------------


def list_models(settings: Settings | None = None) -> pd.DataFrame:
    """Every known model: registry versions and local bundles, newest first.

    Columns: model_version, registry_version, aliases, created_at, n_transactions,
    average_precision, precision_at_100, local_path, run_id.
    """
    settings = settings or get_settings()
    rows: dict[str, dict[str, Any]] = {}
    for path in local_bundles(settings):
        meta = read_metadata(path)
        metrics = meta.get("metrics", {})
        rows[path.name] = {
            "model_version": path.name,
            "registry_version": meta.get("registered_version"),
            "aliases": "",
            "created_at": meta.get("created_at"),
            "n_transactions": meta.get("n_transactions"),
            "average_precision": metrics.get("average_precision"),
            "precision_at_100": metrics.get("precision_at_100"),
            "local_path": str(path),
            "run_id": meta.get("mlflow_run_id"),
        }
    versions, aliases = _registry_versions(settings)
    for version in versions:
        model_version = (version.tags or {}).get(VERSION_TAG) or f"registry-v{version.version}"
        row = rows.setdefault(model_version, {"model_version": model_version, "local_path": ""})
        row["registry_version"] = str(version.version)
        row["aliases"] = ",".join(sorted(aliases.get(str(version.version), [])))
        row["run_id"] = version.run_id
    columns = [
        "model_version",
        "registry_version",
        "aliases",
        "created_at",
        "n_transactions",
        "average_precision",
        "precision_at_100",
        "local_path",
        "run_id",
    ]
    table = pd.DataFrame(list(rows.values()), columns=columns)
    return table.sort_values("model_version", ascending=False, ignore_index=True)


def _registry_versions(settings: Settings) -> tuple[list[Any], dict[str, list[str]]]:
    """Registry versions of Sidak's model and the aliases on each (version -> aliases)."""
    if not store_exists(settings):
        return [], {}
    mlflow = _mlflow()
    tracking = client(settings)
    name = settings.registered_model_name
    try:
        versions = list(tracking.search_model_versions(f"name = '{name}'"))
        registered = tracking.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        return [], {}
    aliases: dict[str, list[str]] = {}
    for alias, version in (registered.aliases or {}).items():
        aliases.setdefault(str(version), []).append(alias)
    return versions, aliases
