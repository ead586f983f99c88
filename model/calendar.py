"""Working-day calendar for Indonesian government offices.

The service standard promises processing time in *working days*: Monday to Friday, minus
national public holidays and *cuti bersama* (from the ``holidays`` package, government
category) and minus the office closure days an inspectorate supplies in its ``holidays``
table. This module is the one place that counts working days; features and the simulator
both use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import holidays as holidays_lib
import numpy as np
import pandas as pd

WEEKMASK = "1111100"  # Monday..Friday


def national_holidays(years: Iterable[int]) -> pd.DatetimeIndex:
    """National public holidays and cuti bersama for ``years`` (Indonesia)."""
    calendar = holidays_lib.country_holidays(
        "ID", years=sorted(set(years)), categories=("government", "public")
    )
    return pd.DatetimeIndex(sorted(pd.Timestamp(day) for day in calendar))


_TICKS_PER_SECOND = {"ns": 1_000_000_000, "us": 1_000_000, "ms": 1_000, "s": 1}


def _clock_shift_seconds(start: pd.Series, end: pd.Series) -> np.ndarray:
    """End's time of day minus start's, in seconds (NaN where either is missing).

    The same arithmetic as ``((end - end.dt.normalize()) - (start - start.dt.normalize()))
    .dt.total_seconds()`` (integer ticks divided by ticks per second), in numpy: pandas
    costs a few milliseconds per call even for one row.
    """
    start_values, end_values = start.to_numpy(), end.to_numpy()
    unit = np.datetime_data(start_values.dtype)[0]
    if unit != np.datetime_data(end_values.dtype)[0] or unit not in _TICKS_PER_SECOND:
        start_clock = start - start.dt.normalize()
        end_clock = end - end.dt.normalize()
        return (end_clock - start_clock).dt.total_seconds().to_numpy()
    start_clock = start_values - start_values.astype("datetime64[D]").astype(start_values.dtype)
    end_clock = end_values - end_values.astype("datetime64[D]").astype(end_values.dtype)
    ticks = (end_clock - start_clock).astype(np.int64) / _TICKS_PER_SECOND[unit]
    return np.where(np.isnat(start_values) | np.isnat(end_values), np.nan, ticks)


@dataclass(frozen=True)
class WorkingCalendar:
    """Counts working days; ``extra_closures`` are local closure days (the holidays table)."""

    first_year: int
    last_year: int
    extra_closures: tuple[np.datetime64, ...] = field(default_factory=tuple)

    @classmethod
    def for_period(
        cls,
        start: pd.Timestamp,
        end: pd.Timestamp,
        extra_closures: Iterable[object] | None = None,
    ) -> WorkingCalendar:
        closures = tuple(
            np.datetime64(pd.Timestamp(day).date(), "D") for day in (extra_closures or [])
        )
        # One year of margin: pending files and SLA deadlines spill into the next year.
        return cls(int(start.year) - 1, int(end.year) + 1, closures)

    def __getstate__(self) -> dict[str, object]:
        # Cached values (numpy's busdaycalendar cannot be pickled) are rebuilt on demand.
        return {key: self.__dict__[key] for key in ("first_year", "last_year", "extra_closures")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    @cached_property
    def closed_days(self) -> np.ndarray:
        national = national_holidays(range(self.first_year, self.last_year + 1))
        days = np.concatenate(
            [
                national.values.astype("datetime64[D]"),
                np.array(self.extra_closures, "datetime64[D]"),
            ]
        )
        return np.unique(days)

    @cached_property
    def _busdaycal(self) -> np.busdaycalendar:
        return np.busdaycalendar(weekmask=WEEKMASK, holidays=self.closed_days)

    def working_days_between(
        self, start: pd.Series, end: pd.Series, fractional: bool = False
    ) -> pd.Series:
        """Working days elapsed from ``start`` to ``end`` (float, NaN where either is missing).

        Counts the working days after the start date up to and including the end date, so a
        file finished the day it arrived took 0 days and Friday -> Monday takes 1. With
        ``fractional`` the clock time is added (finished two hours after arrival: 0.08;
        next morning: about 1), never below 0.
        """
        start_moments = start if start.dtype == "datetime64[ns]" else pd.to_datetime(start)
        end_moments = end if end.dtype == "datetime64[ns]" else pd.to_datetime(end)
        start_days = start_moments.to_numpy(dtype="datetime64[D]")
        end_days = end_moments.to_numpy(dtype="datetime64[D]")
        valid = ~(np.isnat(start_days) | np.isnat(end_days))
        result = np.full(len(start_days), np.nan)
        if valid.any():
            counts = np.busday_count(
                start_days[valid] + 1, end_days[valid] + 1, busdaycal=self._busdaycal
            )
            result[valid] = counts
        if fractional:
            shift = _clock_shift_seconds(start_moments, end_moments) / 86_400.0
            result = np.maximum(result + shift, 0.0)
        return pd.Series(result, index=start.index, name="processing_working_days")

    def is_working_day(self, moments: pd.Series) -> pd.Series:
        days = pd.to_datetime(moments).to_numpy(dtype="datetime64[D]")
        valid = ~np.isnat(days)
        result = np.zeros(len(days), dtype=bool)
        if valid.any():
            result[valid] = np.is_busday(days[valid], busdaycal=self._busdaycal)
        return pd.Series(result, index=moments.index)

    def add_working_days(self, start: pd.Series, working_days: np.ndarray) -> np.ndarray:
        """The date ``working_days`` working days after each start date (datetime64[D])."""
        start_days = pd.to_datetime(start).to_numpy(dtype="datetime64[D]")
        return np.busday_offset(
            start_days,
            np.asarray(working_days, dtype=np.int64),
            roll="forward",
            busdaycal=self._busdaycal,
        )
