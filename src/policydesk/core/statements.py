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

A shape is templated only when two different sets of markers give the same SQL with the
markers in the same places, and it is used once a call's own values, compiled, give that SQL
and those parameters too. A value the ORM rewrites before binding it leaves no marker in the
parameters (the string markers hold `%`, `_` and a backslash, so a `LIKE` pattern or its
escaping shows; a JSON list; SQLite's dates become text the same way a bound one does), so that
shape is compiled per call as before; so is a shape the ORM answers without SQL (an empty
`IN`). What a builder must respect: its SQL depends on which values are set, never on what
they are, and it uses no range lookup (`gt`, `lt`) on a nullable integer column, which the ORM
drops when the value lies beyond the column's range. The cache is per process, holds SQL text
and the columns' expressions (no connection, no data), and is bounded per name, so one busy
name cannot push out the session's or the user's.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from threading import Lock
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

Scalar = int | str | dt.datetime
Value = Scalar | tuple[Scalar, ...] | bool | None
Values = Mapping[str, Value]
Builder = Callable[[Values], QuerySet[Any, dict[str, Any]]]

MAX_SHAPES = 256  # per name
_MARKER_INT = (29_000, 31_000)  # inside every integer column's range, smallint included
_MARKER_DAY = (dt.datetime(1901, 1, 1, tzinfo=dt.UTC), dt.datetime(1902, 1, 1, tzinfo=dt.UTC))


@dataclass(frozen=True, slots=True)
class _Slot:
    position: int  # in the parameters
    value: int  # index of the scalar value
    adapted: bool  # the backend adapts it first (SQLite: a datetime as text)


@dataclass(frozen=True, slots=True)
class _Template:
    sql: str
    params: tuple[Any, ...]  # the shape's constants, with None where a value goes
    slots: tuple[_Slot, ...]
    names: tuple[str, ...]
    converted: tuple[tuple[int, Any], ...]  # (column, expression) whose values are converted
    verified: bool  # a call's own values have given the same SQL and parameters


_UNTEMPLATED = object()  # a shape proven not to template: compiled per call
_cache: dict[str, OrderedDict[Hashable, Any]] = {}
_lock = Lock()
stats = {"hits": 0, "compiled": 0, "untemplated": 0}


def values_rows(
    name: str, values: Values, build: Builder, *, using: str = DEFAULT_DB_ALIAS
) -> list[dict[str, Any]]:
    """The rows of `build(values)` (a `.values(...)` queryset) as dicts, compiled once per
    shape. `values` holds the call's inputs: scalars (int, str, aware datetime) and tuples of
    them are bound; bools and None are part of the shape (a filter set or not)."""
    scalars, shape = _flatten(values)
    key = (using, connections[using].vendor, shape)
    with _lock:
        shapes = _cache.setdefault(name, OrderedDict())
        template = shapes.get(key)
        if template is not None:
            shapes.move_to_end(key)
    if any(map(_outside_int64, scalars)):
        template = _UNTEMPLATED  # beyond any column: the ORM decides what it matches
    elif template is None:
        template = _prepare(name, key, values, build, using)
    if isinstance(template, _Template) and not template.verified:
        template = _verify(name, key, template, values, scalars, build, using)
    if not isinstance(template, _Template):
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
            mark = f"\ue000pd{which}-{index}%_\\\ue000"
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
    it (psycopg's Int2 for a smallint column). A bound value is passed plain, which psycopg's
    client-side binding writes as the same literal."""
    for kind in (bool, int, str, dt.datetime):
        if isinstance(value, kind):
            return None if kind is bool else kind
    return None


def _slots(params: tuple[Any, ...], markers: list[Scalar], ops: Any) -> tuple[_Slot, ...] | None:
    """Where each marker sits in the parameters, as it is or as the backend adapts a datetime;
    None when one of them is missing."""
    index: dict[tuple[type, Any], tuple[int, bool]] = {}
    for i, mark in enumerate(markers):
        index[(type(mark), mark)] = (i, False)
        if isinstance(mark, dt.datetime):
            adapted = ops.adapt_datetimefield_value(mark)
            if adapted != mark:
                index[(type(adapted), adapted)] = (i, True)
    slots = []
    for position, param in enumerate(params):
        kind = _kind(param)
        if kind is not None and (kind, param) in index:
            value, adapted = index[(kind, param)]
            slots.append(_Slot(position, value, adapted))
    if {slot.value for slot in slots} != set(range(len(markers))):
        return None
    return tuple(slots)


def _prepare(name: str, key: Hashable, values: Values, build: Builder, using: str) -> Any:
    """Compile the shape with two sets of markers: a template (to be verified with a call's
    own values) when both give the same SQL with the markers in the same places."""
    ops = connections[using].ops
    try:
        compiled = []
        for which in (0, 1):
            marked, markers = _marked(values, which)
            sql, params, compiler = _compile(build(marked), using)
            compiled.append((sql, params, _slots(params, markers, ops), compiler))
    except EmptyResultSet:
        return _store(name, key, _UNTEMPLATED)
    (sql, params, slots, compiler), (sql_b, _, slots_b, _) = compiled
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    if slots is None or slots != slots_b or sql != sql_b or compiler.has_composite_fields(fields):
        return _store(name, key, _UNTEMPLATED)
    constants = list(params)
    for slot in slots:
        constants[slot.position] = None
    stats["compiled"] += 1
    return _store(
        name,
        key,
        _Template(
            sql=sql,
            params=tuple(constants),
            slots=slots,
            names=_names(compiler.query),
            converted=tuple(
                (position, expression)
                for position, (_, expression) in compiler.get_converters(fields).items()
            ),
            verified=False,
        ),
    )


def _verify(
    name: str,
    key: Hashable,
    template: _Template,
    values: Values,
    scalars: list[Scalar],
    build: Builder,
    using: str,
) -> _Template | None:
    """The template once the call's own values give its SQL and parameters; None (this call
    compiled on its own, the template kept unverified) when they do not, so that one odd
    value (beyond a column's range, answered without SQL) cannot spoil the shape."""
    try:
        sql, params, _ = _compile(build(values), using)
    except EmptyResultSet:
        return None
    if sql != template.sql or _bind(template, scalars, using) != list(params):
        return None
    return _store(name, key, replace(template, verified=True))


def _store(name: str, key: Hashable, template: Any) -> Any:
    with _lock:
        shapes = _cache.setdefault(name, OrderedDict())
        shapes[key] = template
        shapes.move_to_end(key)
        while len(shapes) > MAX_SHAPES:
            shapes.popitem(last=False)
    return template


def _names(query: Any) -> tuple[str, ...]:
    """The dict keys of a values() row, as Django's ValuesIterable names them."""
    if query.selected:
        return tuple(query.selected)
    return (*query.extra_select, *query.values_select, *query.annotation_select)


def _bind(template: _Template, scalars: list[Scalar], using: str) -> list[Any]:
    params = list(template.params)
    ops = connections[using].ops
    for slot in template.slots:
        value = scalars[slot.value]
        if slot.adapted and isinstance(value, dt.datetime):
            params[slot.position] = ops.adapt_datetimefield_value(value)
        else:
            params[slot.position] = value
    return params


def _run(template: _Template, scalars: list[Scalar], using: str) -> list[dict[str, Any]]:
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(template.sql, _bind(template, scalars, using))
        rows = cursor.fetchall()
    names = template.names
    width = len(names)
    if not template.converted:
        return [dict(zip(names, row[:width], strict=True)) for row in rows]
    # The converters of this thread's connection (they may read it, e.g. its time zone).
    converters = [
        (
            position,
            connection.ops.get_db_converters(expression) + expression.get_db_converters(connection),
            expression,
        )
        for position, expression in template.converted
    ]
    result = []
    for fetched in rows:
        row = list(fetched[:width])
        for position, functions, expression in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        result.append(dict(zip(names, row, strict=True)))
    return result
