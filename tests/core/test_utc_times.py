"""Times go into the database as UTC instants and come back as the same instants, aware, in UTC,
on both backends; SQLite's text sorts as the times do, and text written by hand still reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, insert, select, text

from voucherbridge.db.types import UTCDateTime

_meta = MetaData()
_times = Table(
    "utc_times_probe",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=True),
)

zones = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_naive_range = {  # hypothesis draws naive datetimes between naive bounds
    "min_value": datetime(2000, 1, 2),  # noqa: DTZ001
    "max_value": datetime(2099, 12, 30),  # noqa: DTZ001
}
moments = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone), st.datetimes(**_naive_range), zones
)
_fixture_ok = hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    found = create_engine(database_url)
    _meta.create_all(found)
    yield found
    _meta.drop_all(found)
    found.dispose()


def _store(engine: Engine, values: list[datetime | None]) -> list[datetime | None]:
    with engine.begin() as conn:
        conn.execute(_times.delete())
        conn.execute(insert(_times), [{"id": i, "at": v} for i, v in enumerate(values)])
        return list(conn.execute(select(_times.c.at).order_by(_times.c.id)).scalars())


@_fixture_ok
@given(values=st.lists(st.one_of(st.none(), moments), min_size=1, max_size=8))
def test_a_time_comes_back_as_the_same_instant_in_utc(
    engine: Engine, values: list[datetime | None]
) -> None:
    back = _store(engine, values)
    assert back == values  # aware datetimes compare as instants
    assert all(v is None or v.tzinfo is UTC for v in back)


@_fixture_ok
@given(values=st.lists(moments, min_size=2, max_size=8, unique_by=lambda m: m.astimezone(UTC)))
def test_the_database_orders_times_as_instants(engine: Engine, values: list[datetime]) -> None:
    _store(engine, values)
    with engine.connect() as conn:
        ordered = list(conn.execute(select(_times.c.at).order_by(_times.c.at)).scalars())
    assert ordered == sorted(values)


def test_a_whole_second_keeps_its_fraction_so_equality_still_matches(engine: Engine) -> None:
    moment = datetime(2026, 11, 30, 4, 12, 33, tzinfo=UTC)
    _store(engine, [moment])
    with engine.connect() as conn:
        found = conn.execute(select(_times.c.id).where(_times.c.at == moment)).scalars().all()
    assert found == [0]


def test_sqlite_text_written_by_hand_reads_as_its_instant(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite keeps times as text; PostgreSQL has a timestamptz")
    with engine.begin() as conn:
        conn.execute(_times.delete())
        conn.execute(
            text("INSERT INTO utc_times_probe (id, at) VALUES (1, :a), (2, :b), (3, :c)"),
            {"a": "2026-11-30 04:12:33", "b": "2026-11-30T12:12:33+08:00", "c": "2026-11-30"},
        )
        back = list(conn.execute(select(_times.c.at).order_by(_times.c.id)).scalars())
    assert back == [
        datetime(2026, 11, 30, 4, 12, 33, tzinfo=UTC),
        datetime(2026, 11, 30, 4, 12, 33, tzinfo=UTC),
        datetime(2026, 11, 30, tzinfo=UTC),
    ]


def test_a_naive_time_is_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        _store(engine, [datetime(2026, 11, 30, 4, 12)])  # noqa: DTZ001  (the point)
