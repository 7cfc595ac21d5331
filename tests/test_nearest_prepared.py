"""The unfiltered nearest searches run as prepared statements on a read engine: the server must type every
parameter from the statement alone, since EXECUTE passes the values as the plain statement would."""

from __future__ import annotations

import pytest
from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.centres.queries import nearest_centres
from app.db import make_engine
from app.pois.queries import pois_near
from app.sites.filters import SiteFilters
from app.sites.queries import nearby_sites

ORIGIN = Point(119.296, 26.074)
PREPARED = text("SELECT name, generic_plans FROM pg_prepared_statements WHERE name LIKE 'hongtu%' ORDER BY 1")


@pytest.fixture
def read_session(database_url):
    engine = make_engine(database_url, read_only=True)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _prepared(session: Session) -> dict[str, int]:
    """Return the statements prepared on the session's connection (the pool's only one) and their plans."""
    found = dict(session.execute(PREPARED).all())
    session.rollback()
    return found


def test_site_pois_and_centre_searches_prepare_once_and_run(read_session):
    for _ in range(2):
        assert isinstance(nearby_sites(read_session, ORIGIN, k=5), list)
        assert isinstance(nearby_sites(read_session, ORIGIN, k=None, radius_m=2000, limit=20), list)
        assert isinstance(pois_near(read_session, ORIGIN, k=5), list)
        assert isinstance(nearest_centres(read_session, ORIGIN, k=3, radius_m=3000), list)
    prepared = _prepared(read_session)
    # Sites (one statement for the K nearest and for a radius), POIs and centres: each planned once and
    # then run on that generic plan.
    assert len(prepared) == 3
    assert sorted(prepared.values()) == [2, 2, 4]


def test_a_filtered_search_is_planned_each_time(read_session):
    assert isinstance(nearby_sites(read_session, ORIGIN, SiteFilters(levels=("national",)), k=5), list)
    assert _prepared(read_session) == {}
