"""Concurrent small scoring requests share one contract check and one model call.

Validating and scoring cost a few milliseconds per *call* whatever its size (pandas and
pandera overhead), so sixteen clients each sending one transaction would queue behind each
other. The coalescer gathers the small requests that arrive while a call is running and
handles them together in the next one: one ``validate_table`` over the concatenation, one
``bundle.score``, results split back by position.

Safe because scoring is row-independent given the fitted model (``model.engine``,
``model.features.pipeline``): a transaction's score never depends on its batch-mates. Only
requests without complaints (complaints could link across requests), for the same model and
language, are gathered. If the combined check refuses anything (a bad record, the same
transaction id in two requests), each request is checked and scored on its own, so errors
and their row numbers are exactly what that request would get alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from starlette.concurrency import run_in_threadpool

from service.errors import ApiError
from service.model_store import ServedModel
from service.scoring import ScoreBatch, score_batch_records

log = logging.getLogger("sidak.service.coalesce")


@dataclass
class _Pending:
    batch: ScoreBatch
    served: ServedModel
    future: asyncio.Future[list[dict[str, Any]]] = field(repr=False)


class Coalescer:
    """One worker task per event loop; at most ``max_rows_per_call`` rows per model call."""

    def __init__(
        self,
        timezone: str,
        max_rows_per_call: int = 512,
        on_shared: Any = None,
        inline_max_rows: int = 64,
    ) -> None:
        self.timezone = timezone
        self.on_shared = on_shared  # called with the number of requests in a shared call
        self.max_rows_per_call = max_rows_per_call
        self.inline_max_rows = inline_max_rows  # calls up to this size run on the loop
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.calls = 0
        self.requests = 0

    async def score(self, batch: ScoreBatch, served: ServedModel) -> list[dict[str, Any]]:
        """Score records for ``batch`` with ``served``, possibly shared with concurrent ones."""
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(self._queue), name="sidak-coalescer")
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(batch, served, future))
        return await future

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
            self._worker = None

    async def _run(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            first = await queue.get()
            await self._let_arrivals_queue(queue)
            group, rest = [first], []
            rows = first.batch.size
            while not queue.empty():
                item = queue.get_nowait()
                same = item.served is first.served and item.batch.language == first.batch.language
                if same and rows + item.batch.size <= self.max_rows_per_call:
                    group.append(item)
                    rows += item.batch.size
                else:
                    rest.append(item)
            for item in rest:  # keep them for the next call, in arrival order
                queue.put_nowait(item)
            group = [item for item in group if not item.future.cancelled()]
            if not group:
                continue
            try:
                if rows <= self.inline_max_rows:
                    # Small calls run on the event loop itself: a worker thread would hold
                    # the GIL while the loop waits for it after every socket call (up to the
                    # 5 ms switch interval each), stretching the HTTP work of every request.
                    results = self._score_group(group)
                else:
                    results = await run_in_threadpool(self._score_group, group)
            except Exception as error:  # deliver, never kill the worker
                results = [error] * len(group)
            self.calls += 1
            self.requests += len(group)
            if len(group) > 1 and self.on_shared is not None:
                self.on_shared(len(group))
            for item, result in zip(group, results, strict=True):
                if item.future.done():
                    continue
                if isinstance(result, BaseException):
                    item.future.set_exception(result)
                else:
                    item.future.set_result(result)

    @staticmethod
    async def _let_arrivals_queue(queue: asyncio.Queue[_Pending], quiet_yields: int = 2) -> None:
        """Yield to the loop until requests already received stop joining the queue.

        A request needs a few loop turns from its bytes to the queue; starting the call as
        soon as the first one is in would leave the others for calls of their own. Each turn
        runs only callbacks that are ready, so an idle service loses microseconds.
        """
        quiet, seen = 0, queue.qsize()
        for _ in range(64):
            await asyncio.sleep(0)
            size = queue.qsize()
            quiet = quiet + 1 if size == seen else 0
            if quiet >= quiet_yields:
                return
            seen = size

    def _score_group(self, group: list[_Pending]) -> list[list[dict[str, Any]] | BaseException]:
        served = group[0].served
        if len(group) > 1:
            combined = _combined(group)
            try:
                # records built once for the call (column by column), then split by request
                records = score_batch_records(combined, served, self.timezone)
            except ApiError:
                pass  # someone's request is refused: fall through to one by one
            else:
                out: list[list[dict[str, Any]] | BaseException] = []
                start = 0
                for item in group:
                    stop = start + item.batch.size
                    out.append(records[start:stop])
                    start = stop
                return out
        results: list[list[dict[str, Any]] | BaseException] = []
        for item in group:
            try:
                results.append(score_batch_records(item.batch, served, self.timezone))
            except Exception as error:
                results.append(error)
        return results


def _combined(group: list[_Pending]) -> ScoreBatch:
    """One batch of every request's transactions, in order (records kept as records)."""
    language = group[0].batch.language
    if all(item.batch.records is not None for item in group):
        records = [record for item in group for record in item.batch.records or []]
        return ScoreBatch(language=language, records=records)
    frames = [item.batch.transactions for item in group]
    return ScoreBatch(pd.concat(frames, ignore_index=True), None, language)


async def score_request(
    coalescer: Coalescer, batch: ScoreBatch, served: ServedModel, max_coalesced_rows: int
) -> list[dict[str, Any]]:
    """Score records for a parsed request (``service.scoring.score_records``, input order):
    small ones through the coalescer, others in a worker thread."""
    small = 0 < batch.size <= max_coalesced_rows and batch.complaints is None
    if small:
        return await coalescer.score(batch, served)
    return await run_in_threadpool(score_batch_records, batch, served, coalescer.timezone)
