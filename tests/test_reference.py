"""The reference service catalogue (data/reference/services.csv) is well-formed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from model.contract import load_data_dir
from model.settings import REFERENCE_SERVICES

CONTRACT_COLUMNS = [
    "service_code",
    "service_name",
    "official_fee_idr",
    "fee_is_variable",
    "sla_working_days",
]
AGENCIES = {"DISDUKCAPIL", "DPMPTSP", "DISHUB"}


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_SERVICES, dtype={"service_code": str})


def test_has_contract_columns_and_enough_services(catalogue: pd.DataFrame) -> None:
    assert list(catalogue.columns[:5]) == CONTRACT_COLUMNS
    assert len(catalogue) >= 15
    assert catalogue[CONTRACT_COLUMNS].notna().all().all()


def test_codes_unique_fees_and_sla_valid(catalogue: pd.DataFrame) -> None:
    assert catalogue["service_code"].is_unique
    assert pd.api.types.is_integer_dtype(catalogue["official_fee_idr"])
    assert (catalogue["official_fee_idr"] >= 0).all()
    assert (catalogue["sla_working_days"] > 0).all()
    assert set(catalogue["fee_is_variable"].astype(str).str.lower()) <= {"true", "false"}


def test_civil_registry_is_free_by_law(catalogue: pd.DataFrame) -> None:
    civil = catalogue[catalogue["agency"] == "DISDUKCAPIL"]
    assert len(civil) >= 8
    assert (civil["official_fee_idr"] == 0).all()
    assert not civil["fee_is_variable"].any()
    assert civil["fee_basis"].str.contains("79A").all()


def test_variable_fees_carry_no_fixed_amount(catalogue: pd.DataFrame) -> None:
    variable = catalogue[catalogue["fee_is_variable"]]
    assert {"PTSP-PBG", "PTSP-REKLAME"} <= set(variable["service_code"])
    assert (variable["official_fee_idr"] == 0).all()


def test_every_row_cites_its_basis(catalogue: pd.DataFrame) -> None:
    assert set(catalogue["agency"]) <= AGENCIES
    for column in ("legal_basis", "fee_basis", "sla_basis"):
        assert catalogue[column].fillna("").str.len().gt(10).all(), column
    assert set(catalogue["sla_source"]) <= {"national", "regional_typical"}
    fixed = catalogue[(catalogue["official_fee_idr"] > 0)]
    assert fixed["fee_basis"].str.contains("Contoh tarif daerah").all()


def test_readme_documents_the_sources() -> None:
    readme = (REFERENCE_SERVICES.parent / "README.md").read_text(encoding="utf-8")
    for phrase in ("79A", "PP 16/2021", "UU 1/2022", "example regional tariff", "regional_typical"):
        assert phrase in readme


def test_catalogue_passes_the_data_contract(tmp_path: Path) -> None:
    shutil.copy(REFERENCE_SERVICES, tmp_path / "services.csv")
    (tmp_path / "transactions.csv").write_text(
        "transaction_id,office_id,service_code,submitted_at,fee_paid_idr\n"
        "TX-1,DISDUKCAPIL-3171,DUK-KK,2025-01-06T09:00:00,0\n",
        encoding="utf-8",
    )
    dataset = load_data_dir(tmp_path)
    assert len(dataset.services) == len(pd.read_csv(REFERENCE_SERVICES))
