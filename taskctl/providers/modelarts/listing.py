"""Paging of ``GET /v2/{project_id}/processor-tasks``, whose ``offset`` the document calls the "start page"
while its sibling APIs count records: which one a deployment means is found out, never assumed.

After the first page (``offset=0``) comes a probe, ``offset=1``: when its first task is the second of the first
page, ``offset`` counts tasks (the next offset steps by the length of a page); when the two pages share no
task, it counts pages (step 1); when neither holds (tasks arrived in between), step 1, which skips nothing under
either meaning (the caller drops the duplicates)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from taskctl.providers.base import ListPage

PageGetter = Callable[[dict[str, str], int], ListPage]


def pages(get_page: PageGetter, params: dict[str, str], size: int) -> Iterator[ListPage]:
    """Every page of the listing ``params`` asks for, ``size`` tasks a page (endless: the caller stops)."""

    def page(offset: int) -> ListPage:
        return get_page({**params, "limit": str(size), "offset": str(offset)}, size)

    first = page(0)
    yield first
    probe = page(1)
    counts_tasks = _counts_tasks(first, probe)
    yield probe
    offset, last = 1, probe
    while True:
        offset += max(1, len(last.results)) if counts_tasks else 1
        last = page(offset)
        yield last


def _counts_tasks(first: ListPage, probe: ListPage) -> bool:
    """Whether ``offset`` counts tasks, judged by the first page and the page at offset 1."""
    ids = [result.task.task_id for result in first.results]
    probed = [result.task.task_id for result in probe.results]
    return len(ids) >= 2 and bool(probed) and probed[0] == ids[1]
