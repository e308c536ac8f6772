"""Collecting a listing from a provider's pages: robust to what list APIs leave ambiguous or get wrong.

It stops on an empty page, a short page (fewer tasks than the page size the service applied), the page the
service calls the last, once as many distinct tasks as the reported total are in, after a page that brings no
task not seen before, and after a bounded number of pages (the reported total's pages and two more, at most
``MAX_PAGES``). A task seen twice is kept once. Pages are requested at most ``PAGES_PER_SECOND`` a second.
Tasks that do not match the states asked for (or the provider's own client-side filters) are skipped without
counting against the limit: paging goes on until ``limit`` matching tasks are in or the listing ends.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from taskctl.model import TaskResult
from taskctl.providers.base import Lister, ListPage, ListQuery

MAX_PAGES = 200
PAGES_PER_SECOND = 20.0


@dataclass(frozen=True)
class Listing:
    """What a listing brought: the tasks to show (at most the limit), newest first; the total the service
    reported, when no task it sent was skipped here and it is not below what is shown (else None); whether more
    tasks exist than shown; and whether paging stopped at the page cap while the service still sent new tasks."""

    results: tuple[TaskResult, ...]
    total: int | None
    more: bool
    capped: bool = False


@dataclass
class _Collector:
    lister: Lister
    query: ListQuery
    limit: int | None
    kept: list[TaskResult]
    seen: set[str]
    total: int | None = None
    max_pages: int = MAX_PAGES
    pages: int = 0
    rejected: int = 0  # tasks the service sent that a filter here skipped: its total is not the matching tasks

    def take(self, page: ListPage) -> bool:
        """Add one page; whether to ask for another."""
        self.pages += 1
        if self.pages == 1 and page.total is not None:
            self.total = page.total
            self.max_pages = min(MAX_PAGES, math.ceil(page.total / max(1, page.page_size)) + 2)
        fresh = 0
        for result in page.results:
            if result.task.task_id in self.seen:
                continue
            self.seen.add(result.task.task_id)
            fresh += 1
            if self._wanted(result):
                self.kept.append(result)
            else:
                self.rejected += 1
        return not (not page.results or fresh == 0 or len(page.results) < page.page_size or page.last
                    or (self.total is not None and len(self.seen) >= self.total))

    def _wanted(self, result: TaskResult) -> bool:
        states = self.query.states
        return (not states or result.task.state in states) and self.lister.accepts(self.query, result)

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self.kept) >= self.limit


def collect(lister: Lister, query: ListQuery, limit: int | None, *, clock: Callable[[], float],
            sleep: Callable[[float], None]) -> Listing:
    """Up to ``limit`` tasks (None: all) of ``lister``'s pages for ``query``, newest first."""
    collector = _Collector(lister, query, limit, kept=[], seen=set())
    pages: Iterator[ListPage] = lister.pages(query)
    going, capped, last_request = True, False, None
    while going and not collector.full:
        if collector.pages >= collector.max_pages:
            capped = collector.total is None or len(collector.seen) < collector.total
            break
        last_request = _pace(last_request, clock, sleep)
        going = collector.take(next(pages))
    shown = _newest_first(collector.kept)[:limit] if limit is not None else _newest_first(collector.kept)
    more = len(collector.kept) > len(shown) or (going and collector.full)
    total = collector.total
    if collector.rejected or total is None or total < len(shown):  # a number that would mislead
        total = None
    return Listing(tuple(shown), total, more, capped)


def _pace(last_request: float | None, clock: Callable[[], float], sleep: Callable[[float], None]) -> float:
    """Wait so that pages are requested at most ``PAGES_PER_SECOND`` a second; the time of this request."""
    if last_request is not None:
        wait = last_request + 1 / PAGES_PER_SECOND - clock()
        if wait > 0:
            sleep(wait)
    return clock()


def _newest_first(results: list[TaskResult]) -> list[TaskResult]:
    """By creation time, newest first, when every task has one; else as sent."""
    times = [result.task.created for result in results]
    if all(times):
        return [result for _time, _index, result in sorted(
            ((time, -index, result) for index, (time, result) in enumerate(zip(times, results, strict=True))),
            key=lambda row: (row[0], row[1]), reverse=True)]
    return list(results)
