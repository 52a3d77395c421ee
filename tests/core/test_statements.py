"""core.statements: a values queryset compiled once per shape, with the call's values bound."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from policydesk.core import statements
from policydesk.core.sessions import SessionStore
from policydesk.org.backends import StaffBackend
from policydesk.org.models import Branch, Staff
from tests import factories
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    statements.clear()
    yield
    statements.clear()


def _branches(values: statements.Values) -> Any:
    queryset = Branch.objects.all()
    if values.get("codes") is not None:
        queryset = queryset.filter(code__in=values["codes"])
    if values.get("active") is not None:
        queryset = queryset.filter(is_active=values["active"])
    if values.get("after") is not None:
        queryset = queryset.filter(id__gt=values["after"])
    return queryset.values("id", "code", "is_active").order_by("id")


def _orm(values: statements.Values) -> list[dict[str, Any]]:
    return list(_branches(values))


def test_a_shape_is_compiled_once_and_bound_with_each_calls_values() -> None:
    north, south, east = (factories.branch(code) for code in ("north", "south", "east"))
    first = statements.values_rows("t.branches", {"codes": ("north", "south")}, _branches)
    assert [row["code"] for row in first] == ["north", "south"]
    with CaptureQueriesContext(connection) as queries:
        second = statements.values_rows("t.branches", {"codes": ("east", "south")}, _branches)
    assert [row["code"] for row in second] == ["south", "east"]
    assert len(queries) == 1  # the bound statement only: nothing compiled again
    assert statements.stats["compiled"] == 1
    assert second == _orm({"codes": ("east", "south")})
    values: dict[str, statements.Value] = {"codes": ("north",), "after": north.pk}
    third = statements.values_rows("t.branches", values, _branches)
    assert third == [] and statements.stats["compiled"] == 2  # another shape
    assert south.pk and east.pk


def test_rows_are_converted_as_the_queryset_converts_them() -> None:
    Branch.objects.filter(pk=factories.branch("closed").pk).update(is_active=False)
    factories.branch("open")
    rows = statements.values_rows("t.branches", {"active": False}, _branches)
    assert rows == [{"id": rows[0]["id"], "code": "closed", "is_active": False}]
    assert rows[0]["is_active"] is False  # SQLite returns 0; the converter makes it a bool
    assert rows == _orm({"active": False})


def test_an_empty_in_is_answered_by_the_orm_every_time() -> None:
    factories.branch("north")
    assert statements.values_rows("t.branches", {"codes": ()}, _branches) == []
    assert statements.values_rows("t.branches", {"codes": ()}, _branches) == []
    assert statements.stats["untemplated"] == 2 and statements.stats["compiled"] == 0


def test_a_value_the_orm_rewrites_is_not_templated_and_still_answers() -> None:
    factories.branch("north-1")
    factories.branch("south-1")

    def like(values: statements.Values) -> Any:
        return Branch.objects.filter(code__startswith=values["prefix"]).values("code")

    assert statements.values_rows("t.like", {"prefix": "north"}, like) == [{"code": "north-1"}]
    assert statements.values_rows("t.like", {"prefix": "south"}, like) == [{"code": "south-1"}]
    assert statements.stats["compiled"] == 0 and statements.stats["untemplated"] == 2


def test_a_constant_equal_to_a_marker_is_not_taken_for_a_value() -> None:
    """The shape's own parameter 29000 looks like the first marker of one set; the second set
    of markers tells them apart, so the shape is compiled per call, never bound wrongly."""
    branch = factories.branch("north")

    def tricky(values: statements.Values) -> Any:
        return Branch.objects.filter(id__gte=values["low"], id__lt=29_000).values("id")

    assert statements.values_rows("t.tricky", {"low": 1}, tricky) == [{"id": branch.pk}]
    assert statements.stats["compiled"] == 0 and statements.stats["untemplated"] == 1


def test_one_odd_value_is_answered_alone_and_does_not_spoil_the_shape() -> None:
    """A priority beyond the column's range is answered by the ORM (PostgreSQL: no SQL, the
    smallint cannot hold it; SQLite: beyond 64 bits); the shape still serves the next,
    ordinary calls with one statement and nothing compiled."""
    from policydesk.cases.models import Case

    def by_priority(values: statements.Values) -> Any:
        return Case.objects.filter(priority=values["priority"]).values("id")

    odd = connection.ops.integer_field_range("PositiveSmallIntegerField")[1] + 1
    assert statements.values_rows("t.priority", {"priority": odd}, by_priority) == []
    assert statements.values_rows("t.priority", {"priority": 2}, by_priority) == []
    compiled = statements.stats["compiled"]
    with CaptureQueriesContext(connection) as queries:
        assert statements.values_rows("t.priority", {"priority": 3}, by_priority) == []
    assert len(queries) == 1 and statements.stats["compiled"] == compiled == 1
    assert statements.values_rows("t.priority", {"priority": odd}, by_priority) == []


def test_a_like_pattern_is_never_bound_unescaped() -> None:
    """`iexact` is a LIKE on SQLite with `%`, `_` and `\\` escaped in the value: the markers
    hold those characters, so the escaping shows and the shape is compiled per call."""
    for code in ("north", "n_rth", "nxrth"):
        factories.branch(code)

    def like(values: statements.Values) -> Any:
        return Branch.objects.filter(code__iexact=values["code"]).values("code")

    assert statements.values_rows("t.iexact", {"code": "NORTH"}, like) == [{"code": "north"}]
    assert statements.values_rows("t.iexact", {"code": "N_RTH"}, like) == [{"code": "n_rth"}]


def test_an_integer_beyond_64_bits_is_answered_by_the_orm() -> None:
    factories.branch("north")
    values: dict[str, statements.Value] = {"after": 2**70}
    assert statements.values_rows("t.branches", values, _branches) == []
    assert statements.values_rows("t.branches", {"after": 0}, _branches) != []
    assert statements.values_rows("t.branches", values, _branches) == []  # shape cached now


def test_values_must_be_scalars_of_a_known_kind() -> None:
    with pytest.raises(TypeError, match="'when' must be an aware datetime"):
        statements.values_rows("t.bad", {"when": dt.datetime(2026, 1, 1)}, _branches)  # noqa: DTZ001
    with pytest.raises(TypeError, match="'codes'"):
        statements.values_rows("t.bad", {"codes": (1.5,)}, _branches)  # type: ignore[dict-item]


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statements, "MAX_SHAPES", 2)
    factories.branch("north")
    for size in range(1, 5):
        codes = tuple(f"c{i}" for i in range(size))
        statements.values_rows("t.branches", {"codes": codes}, _branches)
    assert len(statements._cache["t.branches"]) == 2


class TestBoundValuesAnswerAsTheOrm(HypothesisTestCase):
    """Whatever values a templated shape is called with, its rows are the ORM's rows."""

    @classmethod
    def setUpTestData(cls) -> None:
        for index in range(6):
            branch = factories.branch(f"hb{index}")
            Branch.objects.filter(pk=branch.pk).update(is_active=index % 2 == 0)

    @settings(max_examples=40, deadline=None)
    @given(
        codes=st.lists(st.sampled_from([f"hb{i}" for i in range(8)]), min_size=1, max_size=3),
        active=st.one_of(st.none(), st.booleans()),
        after=st.one_of(st.none(), st.integers(min_value=-5, max_value=10_000)),
    )
    def test_rows(self, codes: list[str], active: bool | None, after: int | None) -> None:
        values: dict[str, statements.Value] = {
            "codes": tuple(codes),
            "active": active,
            "after": after,
        }
        assert statements.values_rows("t.branches", values, _branches) == _orm(values)


# --- The two per-request reads built on it ---------------------------------------------------


def test_the_session_store_reads_a_live_session_and_not_an_expired_one() -> None:
    store = SessionStore()
    store["pd_note"] = "kept"
    store.create()
    key = store.session_key
    assert SessionStore(key)["pd_note"] == "kept"
    compiled = statements.stats["compiled"]
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(key)["pd_note"] == "kept"  # the bound statement, on both databases
    assert len(queries) == 1 and statements.stats["compiled"] == compiled
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert "pd_note" not in expired and expired.session_key is None
    assert "pd_note" not in SessionStore("no-such-session-key-00000000000")


def test_the_session_user_comes_with_its_branch_in_one_statement() -> None:
    branch = factories.branch("north", name_en="North")
    teller = factories.staff(branch_=branch)
    backend = StaffBackend()
    backend.get_user(teller.pk)  # the shape compiled
    with CaptureQueriesContext(connection) as queries:
        user = backend.get_user(str(teller.pk))
        assert user is not None
        assert user.branch is not None and user.branch.name_en == "North"
    assert len(queries) == 1
    assert user == teller and user.password == teller.password
    assert user._state.adding is False and user._state.db == "default"
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(teller.pk + 1000) is None
    Staff.objects.filter(pk=teller.pk).update(is_active=False)
    assert backend.get_user(teller.pk) is None


def test_the_users_grants_arrive_whole_as_the_matrix_reads_them() -> None:
    """The grants come joined in one column of the user's row; an action with a space in it
    (the admin's form accepts any text) stays one action, as `_load_matrix` reads it."""
    from policydesk.core import access
    from policydesk.org.models import RoleGrant

    teller = factories.staff(branch_=factories.branch("north"))
    RoleGrant.objects.create(role=teller.role, action="odd cases.view", granted=True)
    user = StaffBackend().get_user(teller.pk)
    assert user is not None
    fresh = Staff.objects.get(pk=teller.pk)
    access._load_matrix(fresh)
    assert user._pd_actions == fresh._pd_actions and "odd cases.view" in user._pd_actions
    assert "odd" not in user._pd_actions
    assert (user._pd_scope, user._pd_needs_otp) == (fresh._pd_scope, fresh._pd_needs_otp)


def test_a_user_without_a_branch_loads_with_none() -> None:
    head_office = factories.staff(role="administrator")
    Staff.objects.filter(pk=head_office.pk).update(branch=None)
    user = StaffBackend().get_user(head_office.pk)
    assert user is not None and user.branch is None


def test_a_signed_in_request_reads_session_and_user_through_bound_statements() -> None:
    teller = factories.staff(branch_=factories.branch("north"))
    client = signed_in(teller)
    assert client.session[SESSION_KEY] == str(teller.pk)
    client.get("/api/v1/me")
    compiled = statements.stats["compiled"]
    response = client.get("/api/v1/me")
    assert response.status_code == 200 and response.json()["username"] == teller.username
    assert statements.stats["compiled"] == compiled  # nothing compiled for the second request
