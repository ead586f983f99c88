"""Model bundles: round trip, tamper detection before unpickling, fingerprints, versions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import joblib
import pandas as pd
import pytest

from model import bundle as bundle_module
from model.bundle import (
    HASH_FILE,
    METADATA_FILE,
    MODEL_FILE,
    ModelBundle,
    data_fingerprint,
    is_model_version,
    load_bundle,
    make_model_version,
    save_bundle,
)
from model.contract import load_data_dir
from model.errors import ModelIntegrityError, ModelNotFoundError
from model.settings import Settings
from model.train import build_model


@pytest.fixture(scope="module")
def dataset(small_world: Path):  # type: ignore[no-untyped-def]
    return load_data_dir(small_world)


@pytest.fixture(scope="module")
def fitted_bundle(dataset) -> ModelBundle:  # type: ignore[no-untyped-def]
    model = build_model(Settings()).fit(
        dataset.transactions,
        services=dataset.services,
        complaints=dataset.complaints,
        holidays=dataset.holidays,
    )
    model.model_version_ = "20261123T124501Z-1a2b3c4d"
    return ModelBundle(model, {"model_version": model.model_version_, "params": {"a": 1}})


@pytest.fixture
def saved(fitted_bundle: ModelBundle, tmp_path: Path) -> Path:
    return save_bundle(fitted_bundle, tmp_path / fitted_bundle.model_version)


def test_round_trip_scores_the_same(saved: Path, fitted_bundle: ModelBundle, dataset) -> None:  # type: ignore[no-untyped-def]
    assert {p.name for p in saved.iterdir()} == {MODEL_FILE, HASH_FILE, METADATA_FILE}
    loaded = load_bundle(saved)
    assert loaded.model_version == fitted_bundle.model_version
    assert loaded.metadata["params"] == {"a": 1}
    sample = dataset.transactions.head(200)
    before = fitted_bundle.score(sample, dataset.complaints)
    after = loaded.score(sample, dataset.complaints)
    pd.testing.assert_frame_equal(before, after)
    # a path to the model file works as well as the directory
    assert load_bundle(saved / MODEL_FILE).model_version == fitted_bundle.model_version


def test_flipped_byte_is_refused_before_unpickling(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = saved / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    def must_not_unpickle(*args: object, **kwargs: object) -> None:
        raise AssertionError("unpickled a model that failed verification")

    monkeypatch.setattr(joblib, "load", must_not_unpickle)
    with pytest.raises(ModelIntegrityError, match="does not match"):
        load_bundle(saved)


def test_missing_hash_is_refused(saved: Path) -> None:
    (saved / HASH_FILE).unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        load_bundle(saved)


def test_no_bundle_is_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        load_bundle(tmp_path)


def test_fingerprint_ignores_row_and_column_order_not_values(dataset) -> None:  # type: ignore[no-untyped-def]
    tables = {"services": dataset.services, "transactions": dataset.transactions}
    reference = data_fingerprint(tables)
    shuffled = dataset.transactions.sample(frac=1.0, random_state=1)
    shuffled = shuffled[list(reversed(shuffled.columns))]
    assert data_fingerprint({**tables, "transactions": shuffled}) == reference
    changed = dataset.transactions.copy()
    changed.loc[changed.index[0], "fee_paid_idr"] += 1
    assert data_fingerprint({**tables, "transactions": changed}) != reference
    assert len(reference) == 64


def test_csv_and_parquet_give_the_same_fingerprint(small_world: Path, tmp_path: Path) -> None:
    from_csv = load_data_dir(small_world)
    for name in ("services", "transactions"):
        raw = pd.read_csv(small_world / f"{name}.csv", dtype=str, keep_default_na=False)
        raw.replace("", None).to_parquet(tmp_path / f"{name}.parquet")
    from_parquet = load_data_dir(tmp_path)
    assert data_fingerprint(
        {"services": from_csv.services, "transactions": from_csv.transactions}
    ) == data_fingerprint(
        {"services": from_parquet.services, "transactions": from_parquet.transactions}
    )


def test_model_versions_are_sortable_by_time() -> None:
    early = make_model_version("ab" * 32, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = make_model_version("00" * 32, datetime(2026, 11, 23, 12, 45, 1, tzinfo=UTC))
    assert early == "20260102T030405Z-abababab"
    assert late == "20261123T124501Z-00000000"
    assert sorted([late, early]) == [early, late]
    assert is_model_version(late) and not is_model_version("champion")


def test_code_version_names_the_package() -> None:
    version = bundle_module.code_version()
    assert version["package_version"]
    assert str(version["code_version"]).startswith("sidak ")


def test_bundle_of_another_model_format_is_refused(saved: Path) -> None:
    metadata = json.loads((saved / "metadata.json").read_text())
    metadata["model_format"] = -1
    (saved / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(ModelIntegrityError, match="Retrain"):
        load_bundle(saved)
