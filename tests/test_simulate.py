"""The simulator: contract-valid, deterministic worlds whose truth marks every pattern."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.calendar import WorkingCalendar
from model.contract import load_data_dir
from model.simulate import (
    LOOKALIKES,
    SCHEMES,
    SimulationConfig,
    World,
    simulate_world,
    write_world,
)

# Three offices (one per agency) over March-July 2025: Lebaran, the school-enrolment surge.
SMALL = SimulationConfig(
    seed=7,
    offices=3,
    months=5,
    start="2025-03-01",
    transactions_per_office_month=400,
    n_outcomes=200,
    unfounded_complaints_per_office_month=2.0,
)


@pytest.fixture(scope="module")
def world() -> World:
    return simulate_world(SMALL)


@pytest.fixture(scope="module")
def joined(world: World) -> pd.DataFrame:
    """Transactions with truth, service standard and elapsed working days."""
    tx = world.transactions.merge(world.truth_transactions, on="transaction_id", validate="1:1")
    services = world.services.set_index("service_code")
    calendar = WorkingCalendar.for_period(
        pd.Timestamp(SMALL.start), pd.Timestamp("2025-08-01"), list(world.holidays["date"])
    )
    return tx.assign(
        sla=tx["service_code"].map(services["sla_working_days"]),
        official_fee=tx["service_code"].map(services["official_fee_idr"]),
        variable=tx["service_code"].map(services["fee_is_variable"]).astype(bool),
        working_days=calendar.working_days_between(tx["submitted_at"], tx["completed_at"]),
    )


@pytest.fixture(scope="module")
def written(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dirs = {}
    for fmt in ("csv", "parquet"):
        out = tmp_path_factory.mktemp(f"world_{fmt}")
        write_world(world, out, fmt)
        dirs[fmt] = out
    return dirs


# --- contract and files --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_world_passes_the_contract(world: World, written: dict[str, Path], fmt: str) -> None:
    dataset = load_data_dir(written[fmt])
    assert len(dataset.transactions) == len(world.transactions)
    assert len(dataset.services) == len(world.services)
    assert dataset.complaints is not None and len(dataset.complaints) == len(world.complaints)
    assert dataset.outcomes is not None and len(dataset.outcomes) == SMALL.n_outcomes
    assert dataset.holidays is not None
    assert (written[fmt] / f"transactions.{fmt}").exists()


def test_truth_is_written_apart(world: World, written: dict[str, Path]) -> None:
    out = written["csv"]
    public = pd.read_csv(out / "transactions.csv", nrows=5)
    assert not {"is_irregular", "scheme", "lookalike"} & set(public.columns)
    truth = pd.read_csv(out / "truth" / "transactions.csv", keep_default_na=False)
    assert list(truth.columns) == ["transaction_id", "is_irregular", "scheme", "lookalike"]
    assert truth["transaction_id"].tolist() == world.transactions["transaction_id"].tolist()
    officers = pd.read_csv(out / "truth" / "officers.csv")
    assert {"officer_id", "office_id", "is_extorter", "profile", "schemes"} <= set(officers.columns)
    agents = pd.read_csv(out / "truth" / "agents.csv")
    assert set(agents["kind"]) == {"calo", "biro_jasa"}
    config = json.loads((out / "truth" / "config.json").read_text())
    assert config["seed"] == SMALL.seed


def test_csv_uses_iso_local_datetimes_and_integer_money(written: dict[str, Path]) -> None:
    text = (written["csv"] / "transactions.csv").read_text().splitlines()[1]
    assert re.search(r",\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2},", text)
    assert "+07" not in text and "Z," not in text
    raw = pd.read_csv(written["csv"] / "transactions.csv", dtype=str, keep_default_na=False)
    for column in ("fee_paid_idr", "assessed_fee_idr", "reported_fee_idr", "visits"):
        assert raw[column].str.fullmatch(r"\d*").all(), column


def test_rewriting_in_another_format_replaces_the_tables(world: World, tmp_path: Path) -> None:
    write_world(world, tmp_path, "csv")
    write_world(world, tmp_path, "parquet")
    assert not (tmp_path / "transactions.csv").exists()
    assert len(load_data_dir(tmp_path).transactions) == len(world.transactions)


def test_outcomes_only_when_asked(tmp_path: Path) -> None:
    world = simulate_world(SMALL.with_overrides(n_outcomes=0, months=1))
    assert world.outcomes is None
    write_world(world, tmp_path)
    assert not (tmp_path / "outcomes.csv").exists()


# --- determinism and config ----------------------------------------------------------------


def test_same_seed_same_world(world: World) -> None:
    again = simulate_world(SMALL)
    pd.testing.assert_frame_equal(world.transactions, again.transactions)
    pd.testing.assert_frame_equal(world.complaints, again.complaints)
    pd.testing.assert_frame_equal(world.truth_transactions, again.truth_transactions)
    assert world.outcomes is not None and again.outcomes is not None
    pd.testing.assert_frame_equal(world.outcomes, again.outcomes)


def test_other_seed_other_world(world: World) -> None:
    other = simulate_world(SMALL.with_overrides(seed=SMALL.seed + 1))
    assert not world.transactions["submitted_at"].equals(other.transactions["submitted_at"])


def test_config_from_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "sim.json").write_text(json.dumps({"months": 3, "surge_months": [7, 8]}))
    (tmp_path / "sim.yaml").write_text("offices: 2\non_receipt_share:\n  fee_markup: 0.9\n")
    from_json = SimulationConfig.load(tmp_path / "sim.json")
    assert from_json.months == 3 and from_json.surge_months == (7, 8)
    from_yaml = SimulationConfig.load(tmp_path / "sim.yaml")
    assert from_yaml.offices == 2 and from_yaml.on_receipt_share["fee_markup"] == 0.9
    assert from_yaml.on_receipt_share["surcharge_free"] == 0.4  # other keys kept
    assert SimulationConfig.load(None) == SimulationConfig()


def test_overrides_ignore_none_and_reject_unknown() -> None:
    config = SimulationConfig().with_overrides(seed=None, months=2)
    assert config.seed == 0 and config.months == 2
    with pytest.raises(ValueError, match="unknown simulation setting"):
        SimulationConfig().with_overrides(monthz=2)


# --- the truth -----------------------------------------------------------------------------


def test_every_scheme_and_lookalike_is_planted(world: World) -> None:
    truth = world.truth_transactions
    schemes = truth["scheme"][truth["scheme"] != ""].value_counts()
    lookalikes = truth["lookalike"][truth["lookalike"] != ""].value_counts()
    assert set(schemes.index) == set(SCHEMES)
    assert set(lookalikes.index) == set(LOOKALIKES)
    assert 0.01 < truth["is_irregular"].mean() < 0.10
    assert (truth["is_irregular"] == (truth["scheme"] != "")).all()
    assert (truth.loc[truth["lookalike"] != "", "is_irregular"] == 0).all()


def test_extorters_are_a_minority_and_run_the_schemes(world: World, joined: pd.DataFrame) -> None:
    officers = world.truth_officers
    assert 0 < officers["is_extorter"].sum() < len(officers) / 2
    extorters = set(officers.loc[officers["is_extorter"] == 1, "officer_id"])
    direct = joined[joined["scheme"].isin(["surcharge_free", "fee_markup", "speed_money",
                                           "delay_until_paid"])]  # fmt: skip
    assert direct["officer_id"].isin(extorters).all()
    assert set(officers["profile"]) == {"honest", "slow_new", "extorter"}


def test_surcharges_on_free_services_are_round_sums(joined: pd.DataFrame) -> None:
    rows = joined[joined["scheme"] == "surcharge_free"]
    assert ((rows["official_fee"] == 0) & ~rows["variable"]).all()
    on_receipt = rows[rows["fee_paid_idr"] > 0]
    assert 0 < len(on_receipt) < len(rows)  # some only visible through the survey
    assert (on_receipt["fee_paid_idr"] % 10_000 == 0).all()
    assert (on_receipt["payment_method"] == "cash").mean() > 0.6
    honest_free = joined[
        (joined["scheme"] == "") & (joined["official_fee"] == 0) & ~joined["variable"]
    ]
    assert (honest_free["fee_paid_idr"] == 0).all()
    assert (honest_free["payment_method"] == "none").all()


def test_markups_exceed_the_legal_fee(joined: pd.DataFrame) -> None:
    rows = joined[joined["scheme"] == "fee_markup"]
    legal = np.where(rows["variable"], rows["assessed_fee_idr"], rows["official_fee"])
    assert (rows["fee_paid_idr"] >= legal).all()
    assert (rows["fee_paid_idr"] > legal).any()
    surveyed = rows[rows["reported_fee_idr"].notna()]
    assert (surveyed["reported_fee_idr"] > legal[rows["reported_fee_idr"].notna()]).all()


def _median_sla_ratio(frame: pd.DataFrame) -> float:
    return float((frame["working_days"] / frame["sla"]).median())


def test_speed_money_and_delays_spread_processing_time(joined: pd.DataFrame) -> None:
    done = joined[joined["status"] == "completed"]
    honest = done[(done["scheme"] == "") & (done["lookalike"] == "")]
    fast = done[done["scheme"] == "speed_money"]
    held = done[done["scheme"] == "delay_until_paid"]
    assert _median_sla_ratio(fast) < _median_sla_ratio(honest)
    assert (held["working_days"] > held["sla"]).mean() > 0.9
    assert held["visits"].mean() > honest["visits"].mean() + 1.5
    after_hours = (fast["completed_at"].dt.hour >= 19) | (fast["completed_at"].dt.dayofweek >= 5)
    assert after_hours.mean() > 0.1


def test_calo_rings_route_to_one_fast_insider(world: World, joined: pd.DataFrame) -> None:
    agents = world.truth_agents
    calos = agents[agents["kind"] == "calo"].set_index("agent_id")["linked_officer_id"]
    files = joined[joined["agent_id"].isin(calos.index)]
    assert len(files) > 10 and (files["scheme"] == "calo_ring").all()
    assert (joined.loc[joined["scheme"] == "calo_ring", "agent_id"].isin(calos.index)).all()
    inside = files["officer_id"] == files["agent_id"].map(calos)
    assert inside.mean() > 0.7
    assert (files.loc[inside, "working_days"] <= files.loc[inside, "sla"]).mean() > 0.9
    for biro in agents[agents["kind"] == "biro_jasa"].itertuples():
        filed = joined[joined["agent_id"] == biro.agent_id]
        assert (filed["scheme"] == "").all() and filed["officer_id"].nunique() >= 2


def test_lookalikes_look_the_part(joined: pd.DataFrame) -> None:
    big = joined[joined["lookalike"] == "big_assessed_fee"]
    assert (big["assessed_fee_idr"] >= SMALL.big_fee_threshold_idr).all()
    assert (big["fee_paid_idr"] == big["assessed_fee_idr"]).all()
    outage = joined[joined["lookalike"] == "system_outage"]
    assert (outage["working_days"].fillna(np.inf) > outage["sla"]).all()
    holiday = joined[joined["lookalike"] == "holiday_mid_application"].dropna(
        subset=["completed_at"]
    )
    calendar_days = (
        holiday["completed_at"].dt.normalize() - holiday["submitted_at"].dt.normalize()
    ).dt.days
    assert (calendar_days >= holiday["working_days"] + 2).all()


def test_complaints_name_money_for_victims_not_for_queues(world: World) -> None:
    kinds = world.truth_complaints.set_index("complaint_id")["kind"]
    complaints = world.complaints.assign(kind=world.complaints["complaint_id"].map(kinds))
    money = re.compile(
        r"\b(?:uang|duit|pelicin|rokok|rokoq|kwitansi|kuitansi|biaya|calo|sogok|imbalan|bayar)\b",
        re.I,
    )
    founded = complaints[complaints["kind"] == "money_founded"]
    background = complaints[complaints["kind"] == "background"]
    assert len(founded) > 0 and founded["text"].str.contains(money).all()
    assert background["text"].str.contains(money).mean() < 0.2
    assert set(kinds) >= {"background", "money_founded", "money_unfounded", "delay_only"}
    named = complaints["transaction_id"].dropna()
    assert named.isin(world.transactions["transaction_id"]).all()


def test_outcomes_come_mostly_from_suspicious_cases(world: World) -> None:
    assert world.outcomes is not None
    truth = world.truth_transactions.set_index("transaction_id")
    reviewed = truth.loc[world.outcomes["transaction_id"]]
    assert reviewed["is_irregular"].mean() > 5 * truth["is_irregular"].mean()
    confirmed = world.outcomes["outcome"] == "confirmed"
    assert 0.2 < confirmed.mean() < 0.95
    assert reviewed["is_irregular"].to_numpy()[confirmed.to_numpy()].mean() > 0.9


# --- the world ------------------------------------------------------------------------------


def test_free_services_cost_nothing(world: World) -> None:
    services = world.services
    civil = services[services["service_code"].str.startswith("DUK-")]
    assert (civil["official_fee_idr"] == 0).all() and not civil["fee_is_variable"].any()
    variable_codes = set(services.loc[services["fee_is_variable"], "service_code"])
    tx = world.transactions
    assert (tx["assessed_fee_idr"].notna() == tx["service_code"].isin(variable_codes)).all()


def test_no_nik_like_identifiers(world: World) -> None:
    nik = re.compile(r"\d{16}")
    tables = [world.transactions, world.complaints, world.truth_officers, world.truth_agents]
    for table in tables:
        for column in table.select_dtypes(include=["object", "string"]).columns:
            assert not table[column].dropna().astype(str).str.contains(nik).any(), column
    assert world.transactions["applicant_id"].str.fullmatch(r"A-[0-9a-f]{10}").all()
    assert world.transactions["officer_id"].str.fullmatch(r"OFF-\d{4}-\d{3}").all()


def test_time_order_and_status(joined: pd.DataFrame) -> None:
    done = joined["completed_at"].notna()
    assert (joined.loc[done, "completed_at"] >= joined.loc[done, "submitted_at"]).all()
    assert joined.loc[joined["status"] == "pending", "completed_at"].isna().all()
    assert joined.loc[joined["status"] == "completed", "completed_at"].notna().all()
    assert set(joined["status"]) == {"completed", "rejected", "pending"}
    end = pd.Timestamp("2025-08-01")
    assert (joined["submitted_at"] < end).all() and (joined.loc[done, "completed_at"] < end).all()


def test_counter_filings_in_office_hours_on_working_days(
    world: World, joined: pd.DataFrame
) -> None:
    calendar = WorkingCalendar.for_period(
        pd.Timestamp(SMALL.start), pd.Timestamp("2025-08-01"), list(world.holidays["date"])
    )
    counter = joined[joined["channel"].isin(["counter", "agent"])]
    assert calendar.is_working_day(counter["submitted_at"]).all()
    hours = counter["submitted_at"].dt.hour
    assert hours.between(8, 15).all()
    online = joined[joined["channel"] == "online"]
    assert (~calendar.is_working_day(online["submitted_at"])).any()
    assert (online["submitted_at"].dt.hour >= 18).any()


def test_channels_payments_survey_and_season(joined: pd.DataFrame) -> None:
    assert set(joined["channel"]) == {"online", "counter", "agent"}
    assert 0.1 < joined["reported_fee_idr"].notna().mean() < 0.35
    paid = joined[(joined["scheme"] == "") & (joined["fee_paid_idr"] > 0)]
    assert paid["payment_method"].isin(["transfer", "qris", "other"]).mean() > 0.7
    assert joined["agent_id"].notna().eq(joined["channel"] == "agent").all()
    births = joined[joined["service_code"] == "DUK-AKTA-LAHIR"]
    per_month = births.groupby(births["submitted_at"].dt.month).size()
    assert per_month[[6, 7]].mean() > 1.3 * per_month[5]


@pytest.mark.slow
def test_100k_transactions_in_under_a_minute() -> None:
    started = time.perf_counter()
    world = simulate_world(SimulationConfig(offices=8, months=12))
    elapsed = time.perf_counter() - started
    assert 80_000 < len(world.transactions) < 120_000
    assert elapsed < 60, f"{elapsed:.1f} s"
