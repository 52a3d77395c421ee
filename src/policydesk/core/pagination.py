"""Keyset pagination and bounded counts for every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)
T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
COUNT_BOUND = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: int | None


def keyset_page(
    queryset: QuerySet[M],
    *,
    after: int | None,
    limit: int = DEFAULT_PAGE_SIZE,
    newest_first: bool = False,
) -> Page[M]:
    """One page ordered by id; `after` is the last id of the previous page."""
    rows, has_more = _rows(queryset, after, limit, newest_first)
    return Page(items=rows, next_cursor=rows[-1].pk if has_more and rows else None)


def _rows(
    queryset: QuerySet[Any, T], after: int | None, limit: int, newest_first: bool
) -> tuple[list[T], bool]:
    """The page's rows (at most `limit`) and whether more follow."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    if newest_first:
        queryset = queryset.order_by("-id")
        if after is not None:
            queryset = queryset.filter(id__lt=after)
    else:
        queryset = queryset.order_by("id")
        if after is not None:
            queryset = queryset.filter(id__gt=after)
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


@dataclass(frozen=True)
class BoundedCount:
    value: int
    exceeds: bool

    def __str__(self) -> str:
        return f"{self.value}+" if self.exceeds else str(self.value)


def bounded_count(queryset: QuerySet[M], bound: int = COUNT_BOUND) -> BoundedCount:
    """Count up to `bound` rows; beyond that say "bound+" instead of scanning everything."""
    counted = queryset.order_by()[: bound + 1].count()
    return BoundedCount(value=min(counted, bound), exceeds=counted > bound)
