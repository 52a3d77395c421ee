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
parameters in the same places. A builder's SQL must depend on which values are set, never on
what they are (the markers could not tell). A value the ORM transforms before binding it (a `LIKE`
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
class _Slot:
    position: int  # in the parameters
    value: int  # index of the scalar value


@dataclass(frozen=True, slots=True)
class _Template:
    sql: str
    params: tuple[Any, ...]  # the shape's constants, with None where a value goes
    slots: tuple[_Slot, ...]
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
    if template is None and not any(_outside_int64(value) for value in scalars):
        template = _prepare(key, values, build, using)
    if template is None or template is _UNTEMPLATED or any(map(_outside_int64, scalars)):
        # Compiled per call; an integer beyond 64 bits too: the ORM answers it without SQL.
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


def _outside_int64(value: Scalar) -> bool:
    return isinstance(value, int) and not -(2**63) <= value < 2**63


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


def _kind(value: Any) -> type | None:
    """The scalar kind a parameter belongs to: the backend may wrap a value in a subclass of
    it (psycopg's Int2 for a smallint column). A bound value is passed plain: compared with
    the column, PostgreSQL reads it as a bigint, and a value beyond the column's range finds
    no row where the wrapper would have failed to convert."""
    for kind in (bool, int, str, dt.datetime):
        if isinstance(value, kind):
            return None if kind is bool else kind
    return None


def _slots(params: tuple[Any, ...], markers: list[Scalar]) -> tuple[_Slot, ...] | None:
    """Where each marker sits in the parameters; None when one of them is missing."""
    index = {(type(mark), mark): i for i, mark in enumerate(markers)}
    slots = []
    for position, param in enumerate(params):
        kind = _kind(param)
        if kind is None or (kind, param) not in index:
            continue
        slots.append(_Slot(position, index[(kind, param)]))
    if {slot.value for slot in slots} != set(range(len(markers))):
        return None
    return tuple(slots)


def _prepare(key: Hashable, values: Values, build: Builder, using: str) -> Any:
    """Compile the shape with two sets of markers and with the call's values; a template only
    when all three agree. What the markers show is the shape's and is kept; when only the
    call's own values disagree (a value the ORM answers without SQL), nothing is kept and
    this call is compiled on its own, so one odd value cannot spoil the shape."""
    scalars, _ = _flatten(values)
    try:
        compiled = []
        for which in (0, 1):
            marked, markers = _marked(values, which)
            sql, params, compiler = _compile(build(marked), using)
            compiled.append((sql, params, _slots(params, markers), compiler))
    except EmptyResultSet:
        return _store(key, _UNTEMPLATED)
    (sql, params, slots, compiler), (sql_b, _, slots_b, _) = compiled
    if slots is None or slots != slots_b or sql != sql_b:
        return _store(key, _UNTEMPLATED)
    try:
        real_sql, real_params, _ = _compile(build(values), using)
    except EmptyResultSet:
        return None
    if sql != real_sql:
        return None
    constants = list(params)
    for slot in slots:
        constants[slot.position] = None
    template = _Template(
        sql=sql,
        params=tuple(constants),
        slots=slots,
        names=_names(compiler.query),
        converters=_converters(compiler),
    )
    if _bind(template, scalars) != list(real_params):
        return None
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
    for slot in template.slots:
        params[slot.position] = scalars[slot.value]
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
