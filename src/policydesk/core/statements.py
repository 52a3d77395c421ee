"""Compiled statements: a hot read's SQL compiled once per shape, its values bound per call.

Building and compiling a queryset (Django's `Query`, its joins, its compiler) takes longer
than running an indexed statement: for a work-queue page it was about two thirds of the
page's CPU. The reads a request makes every time (the session, the user, a queue page) are
the same statement again and again with other values. Here such a read stays an ORM
queryset, its one definition, but is compiled once per *shape*: the caller names the shape
(which filters are set, how many branch ids) and passes the call's values separately. The
queryset is built with marker values in their places, compiled, and each marker's positions
in the parameters noted; a later call with the same shape puts its own values there and runs
the SQL, converting the columns as the queryset would (`from_db_value`, SQLite's dates).

A shape is cached only when it is proven to template: it is compiled with two different sets
of markers and once with the call's values, and all three must give the same SQL with the
parameters in the same places. A value the ORM transforms before binding it (a `LIKE`
pattern, a JSON list, SQLite's dates as text) leaves no marker in the parameters, so that
shape is compiled per call as before; so is a shape the ORM answers without SQL (an empty
`IN`). The cache is per process and bounded.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from threading import Lock
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

Scalar = int | str | dt.datetime
Value = Scalar | tuple[Scalar, ...] | bool | None
Values = Mapping[str, Value]
Builder = Callable[[Values], QuerySet[Any, dict[str, Any]]]

MAX_SHAPES = 512
_MARKER_INT = (29_000, 31_000)  # inside every integer column's range, smallint included
_MARKER_DAY = (dt.datetime(1901, 1, 1, tzinfo=dt.UTC), dt.datetime(1902, 1, 1, tzinfo=dt.UTC))


@dataclass(frozen=True, slots=True)
class _Template:
    sql: str
    params: tuple[Any, ...]  # the shape's constants, with None where a value goes
    slots: tuple[tuple[int, int], ...]  # (parameter position, index of the scalar value)
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]


_UNTEMPLATED = object()  # a shape proven not to template: compiled per call
_cache: OrderedDict[Hashable, Any] = OrderedDict()
_lock = Lock()
stats = {"hits": 0, "compiled": 0, "untemplated": 0}


def values_rows(
    name: str, values: Values, build: Builder, *, using: str = DEFAULT_DB_ALIAS
) -> list[dict[str, Any]]:
    """The rows of `build(values)` (a `.values(...)` queryset) as dicts, compiled once per
    shape. `values` holds the call's inputs: scalars (int, str, aware datetime) and tuples of
    them are bound; bools and None are part of the shape (a filter set or not)."""
    scalars, shape = _flatten(values)
    key = (name, using, connections[using].vendor, shape)
    with _lock:
        template = _cache.get(key)
        if template is not None:
            _cache.move_to_end(key)
    if template is None:
        template = _prepare(key, values, build, using)
    if template is _UNTEMPLATED:
        stats["untemplated"] += 1
        return list(build(values).using(using))
    stats["hits"] += 1
    return _run(template, scalars, using)


def clear() -> None:
    """Forget every compiled shape and reset the counters (tests)."""
    with _lock:
        _cache.clear()
        for name in stats:
            stats[name] = 0


def _flatten(values: Values) -> tuple[list[Scalar], tuple[Any, ...]]:
    """The scalars to bind, in order, and the shape: each value's name with its kind."""
    scalars: list[Scalar] = []
    shape: list[Any] = []
    for key, value in values.items():
        if value is None or isinstance(value, bool):
            shape.append((key, value))
        elif isinstance(value, tuple):
            for item in value:
                _check(key, item)
            scalars.extend(value)
            shape.append((key, tuple(type(item).__name__ for item in value)))
        else:
            _check(key, value)
            scalars.append(value)
            shape.append((key, type(value).__name__))
    return scalars, tuple(shape)


def _check(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str | dt.datetime):
        raise TypeError(f"statements: {key!r} must be an int, str or datetime, not {value!r}")
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise TypeError(f"statements: {key!r} must be an aware datetime")


def _marked(values: Values, which: int) -> tuple[dict[str, Value], list[Scalar]]:
    """The values with every scalar replaced by a distinct marker of its type."""
    markers: list[Scalar] = []

    def marker(value: Scalar) -> Scalar:
        index = len(markers)
        mark: Scalar
        if isinstance(value, int):
            mark = _MARKER_INT[which] + index
        elif isinstance(value, str):
            mark = f"\ue000pd{which}-{index}\ue000"
        else:
            mark = _MARKER_DAY[which] + dt.timedelta(microseconds=index)
        markers.append(mark)
        return mark

    marked: dict[str, Value] = {}
    for key, value in values.items():
        if value is None or isinstance(value, bool):
            marked[key] = value
        elif isinstance(value, tuple):
            marked[key] = tuple(marker(item) for item in value)
        else:
            marked[key] = marker(value)
    return marked, markers


def _compile(queryset: QuerySet[Any, Any], using: str) -> tuple[str, tuple[Any, ...], Any]:
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    return sql, tuple(params), compiler


def _slots(params: tuple[Any, ...], markers: list[Scalar]) -> tuple[tuple[int, int], ...] | None:
    """Where each marker sits in the parameters; None when one of them is missing."""
    index = {(type(mark), mark): i for i, mark in enumerate(markers)}
    slots = tuple(
        (position, index[(type(param), param)])
        for position, param in enumerate(params)
        if isinstance(param, int | str | dt.datetime) and (type(param), param) in index
    )
    if {value for _, value in slots} != set(range(len(markers))):
        return None
    return slots


def _prepare(key: Hashable, values: Values, build: Builder, using: str) -> Any:
    """Compile the shape with two sets of markers and with the call's values; a template only
    when all three agree."""
    scalars, _ = _flatten(values)
    try:
        compiled = []
        for which in (0, 1):
            marked, markers = _marked(values, which)
            sql, params, compiler = _compile(build(marked), using)
            compiled.append((sql, params, _slots(params, markers), compiler))
        real_sql, real_params, _ = _compile(build(values), using)
    except EmptyResultSet:
        return _store(key, _UNTEMPLATED)
    (sql, params, slots, compiler), (sql_b, _, slots_b, _) = compiled
    if slots is None or slots != slots_b or sql != sql_b or sql != real_sql:
        return _store(key, _UNTEMPLATED)
    constants = list(params)
    for position, _ in slots:
        constants[position] = None
    template = _Template(
        sql=sql,
        params=tuple(constants),
        slots=slots,
        names=_names(compiler.query),
        converters=_converters(compiler),
    )
    if _bind(template, scalars) != list(real_params):
        return _store(key, _UNTEMPLATED)
    stats["compiled"] += 1
    return _store(key, template)


def _store(key: Hashable, template: Any) -> Any:
    with _lock:
        _cache[key] = template
        while len(_cache) > MAX_SHAPES:
            _cache.popitem(last=False)
    return template


def _names(query: Any) -> tuple[str, ...]:
    """The dict keys of a values() row, as Django's ValuesIterable names them."""
    if query.selected:
        return tuple(query.selected)
    return (*query.extra_select, *query.values_select, *query.annotation_select)


def _converters(compiler: Any) -> tuple[tuple[int, tuple[Any, ...], Any], ...]:
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    return tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(fields).items()
    )


def _bind(template: _Template, scalars: list[Scalar]) -> list[Any]:
    params = list(template.params)
    for position, index in template.slots:
        params[position] = scalars[index]
    return params


def _run(template: _Template, scalars: list[Scalar], using: str) -> list[dict[str, Any]]:
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(template.sql, _bind(template, scalars))
        rows = cursor.fetchall()
    names = template.names
    width = len(names)
    if not template.converters:
        return [dict(zip(names, row[:width], strict=True)) for row in rows]
    result = []
    for fetched in rows:
        row = list(fetched[:width])
        for position, functions, expression in template.converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        result.append(dict(zip(names, row, strict=True)))
    return result
