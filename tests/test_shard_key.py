"""The province shard key (migration 0009_province_shard_key) on a real PostGIS.

The trigger fills it and the province rules refuse cross-province assignments with a 4xx. Then, inside the
test's transaction, every sharded table is swapped for a copy LIST-partitioned by province (PostgreSQL
imposes Citus's rules: unique keys include the partition column, and only an equality on it sends a query
to one partition), the real region-scoped queries run on the copies, and each statement they sent must
plan onto exactly one partition of each sharded table it reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from app.auth import Scope
from app.auth.queries import org_subtree_ids
from app.coverage import queries as coverage_queries
from app.coverage import service as coverage
from app.maps.queries import distribution
from app.organizations import queries as org_queries
from app.regions.province import UNPLACED
from app.zones.queries import zones_in_box

SHARDED = (
    "organizations",
    "zones",
    "coverage_cells",
    "coverage_grids",
    "coverage_merged_pieces",
    "coverage_snapshots",
    "coverage_findings",
)
SUPER = Scope(None, "super_admin")

# Statements that read sharded tables across provinces on purpose, by a phrase only they contain.
CROSS_PROVINCE = {
    # Zone facts and overlap pairs are kept for every stale zone, wherever it lies, and a pair of
    # overlapping zones may straddle a border; those tables are not sharded.
    "coverage_stale_zones": "zone facts are refreshed for every stale zone",
    "coverage_zone_queue": "zones are queued for their facts wherever they lie",
    "INSERT INTO coverage_overlaps": "overlap pairs may cross a province border",
    "SELECT 'overlap'": "overlap pairs may cross a province border",
    # GET /coverage/<adcode>/snapshots/<id> and ?snapshot= look a snapshot up by its id alone.
    "WHERE s.id = ": "a snapshot is looked up by its id",
}


def _box(x1: float, y1: float, x2: float, y2: float) -> str:
    return f"SRID=4326;MULTIPOLYGON((({x1} {y1},{x2} {y1},{x2} {y2},{x1} {y2},{x1} {y1})))"


# Fujian (35) and Beijing (11), each a province with one city: two zones per city, a gap between them.
REGIONS = [
    ("350000", "福建省", "province", None, _box(119.0, 26.0, 119.04, 26.02)),
    ("350100", "福州市", "city", "350000", _box(119.0, 26.0, 119.04, 26.02)),
    ("110000", "北京市", "province", None, _box(116.3, 39.9, 116.34, 39.92)),
    ("110100", "北京城区", "city", "110000", _box(116.3, 39.9, 116.34, 39.92)),
]
ZONES = [
    ("350100001001001", "350100", "FJ-C", _box(119.0, 26.0, 119.015, 26.02)),
    ("350100001001002", "350100", None, _box(119.025, 26.0, 119.04, 26.02)),
    ("110100001001001", "110100", "BJ-C", _box(116.3, 39.9, 116.315, 39.92)),
    ("110100001001002", "110100", None, _box(116.325, 39.9, 116.34, 39.92)),
]


def _region_id(session, adcode: str) -> int:
    return session.execute(text("SELECT id FROM regions WHERE adcode = :a"), {"a": adcode}).scalar_one()


def _province(session, table: str, code: str) -> str:
    return session.execute(text(f"SELECT province FROM {table} WHERE code = :c"), {"c": code}).scalar_one()


def _add_org(session, code: str, adcode: str | None, parent: str | None = None, point=None) -> None:
    session.execute(
        text("""
            INSERT INTO organizations (code, name, kind, region_id, parent_id, geom)
            VALUES (:code, :code, 'committee', (SELECT id FROM regions WHERE adcode = :adcode),
                    (SELECT id FROM organizations WHERE code = :parent),
                    CASE WHEN CAST(:point AS text) IS NULL THEN NULL ELSE ST_GeomFromText(:point, 4326) END)
        """),
        {"code": code, "adcode": adcode, "parent": parent, "point": point},
    )


@pytest.fixture
def two_provinces(session):
    """Fujian and Beijing with a committee each (Fujian's with a branch that has no region) and zones."""
    for adcode, name, level, parent, geom in REGIONS:
        session.execute(
            text("""
                INSERT INTO regions (adcode, name, level, parent_id, geom)
                VALUES (:adcode, :name, :level, (SELECT id FROM regions WHERE adcode = :parent),
                        ST_GeomFromEWKT(:geom))
            """),
            {"adcode": adcode, "name": name, "level": level, "parent": parent, "geom": geom},
        )
    _add_org(session, "FJ-C", "350100", point="POINT(119.01 26.01)")
    _add_org(session, "FJ-B", None, parent="FJ-C", point="POINT(119.03 26.01)")
    _add_org(session, "BJ-C", "110100", point="POINT(116.31 39.91)")
    for code, adcode, org, geom in ZONES:
        session.execute(
            text("""
                INSERT INTO zones (code, name, region_id, org_id, geom)
                VALUES (:code, :code, (SELECT id FROM regions WHERE adcode = :adcode),
                        (SELECT id FROM organizations WHERE code = :org), ST_GeomFromEWKT(:geom))
            """),
            {"code": code, "adcode": adcode, "org": org, "geom": geom},
        )


# --- the trigger --------------------------------------------------------------------------------------


def test_zones_take_their_regions_province_on_insert_and_on_a_move(session, two_provinces):
    assert _province(session, "zones", "350100001001002") == "35"
    assert _province(session, "zones", "110100001001001") == "11"
    session.execute(
        text("UPDATE zones SET code = '110100001001009', region_id = :r WHERE code = '350100001001002'"),
        {"r": _region_id(session, "110100")},
    )
    assert _province(session, "zones", "110100001001009") == "11"


def test_a_province_written_by_hand_is_put_right(session, two_provinces):
    session.execute(text("UPDATE zones SET province = '11' WHERE code = '350100001001001'"))
    session.execute(text("UPDATE organizations SET province = '11' WHERE code = 'FJ-B'"))
    assert _province(session, "zones", "350100001001001") == "35"
    assert _province(session, "organizations", "FJ-B") == "35"


def test_organizations_take_their_region_else_the_chain_above_else_unplaced(session, two_provinces):
    assert _province(session, "organizations", "FJ-C") == "35"
    assert _province(session, "organizations", "BJ-C") == "11"
    # No region: the nearest organization above with one.
    _add_org(session, "FJ-B-1", None, parent="FJ-B")
    assert _province(session, "organizations", "FJ-B") == "35"
    assert _province(session, "organizations", "FJ-B-1") == "35"
    # No region anywhere up the chain.
    _add_org(session, "LOOSE", None)
    assert _province(session, "organizations", "LOOSE") == UNPLACED
    # A childless organization moved to a region of another province moves with it.
    session.execute(
        text("UPDATE organizations SET region_id = :r WHERE code = 'LOOSE'"),
        {"r": _region_id(session, "110100")},
    )
    assert _province(session, "organizations", "LOOSE") == "11"


def test_the_database_refuses_a_zone_of_another_provinces_organization(session, two_provinces):
    with pytest.raises(IntegrityError, match="fk_zones_province_org"), session.begin_nested():
        session.execute(
            text(
                "UPDATE zones SET org_id = (SELECT id FROM organizations WHERE code = 'FJ-C') WHERE code = :c"
            ),
            {"c": "110100001001002"},
        )
    with pytest.raises(IntegrityError, match="fk_organizations_province_parent"), session.begin_nested():
        _add_org(session, "BJ-UNDER-FJ", "110100", parent="FJ-C")


def _zone_feature(code: str, org_code: str) -> dict:
    return {
        "type": "Feature",
        "geometry": json.loads(
            '{"type": "Polygon", "coordinates": [[[116.316, 39.9], [116.32, 39.9], [116.32, 39.905],'
            " [116.316, 39.905], [116.316, 39.9]]]}"
        ),
        "properties": {"code": code, "name": "跨省网格", "adcode": code[:6], "org_code": org_code},
    }


def _problem(response, status: int, param: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert param in {e.get("param") or e.get("field") for e in body.get("errors", [])} | {body.get("param")}
    return json.dumps(body, ensure_ascii=False)


def test_the_api_refuses_a_zone_of_another_provinces_organization(client, admin_headers, two_provinces):
    response = client.post(
        "/api/v1/zones", json=_zone_feature("110100001001005", "FJ-C"), headers=admin_headers
    )
    assert "province 35" in _problem(response, 400, "org_code")
    fine = client.post("/api/v1/zones", json=_zone_feature("110100001001005", "BJ-C"), headers=admin_headers)
    assert fine.status_code == 201


def test_the_importer_refuses_a_zone_of_another_provinces_organization(client, admin_headers, two_provinces):
    collection = {"type": "FeatureCollection", "features": [_zone_feature("110100001001006", "FJ-B")]}
    response = client.post("/api/v1/import/zones", json=collection, headers=admin_headers)
    assert "must be in the zone's province" in _problem(response, 422, "org_code")


def test_the_api_refuses_an_organization_under_a_parent_of_another_province(
    client, admin_headers, two_provinces
):
    body = {
        "code": "BJ-UNDER-FJ",
        "name": "驻京支部",
        "kind": "branch",
        "parent_code": "FJ-C",
        "adcode": "110100",
    }
    response = client.post("/api/v1/organizations", json=body, headers=admin_headers)
    assert "parent's province" in _problem(response, 409, "parent_code")


def test_an_organization_with_zones_or_children_keeps_its_province(client, admin_headers, two_provinces):
    # BJ-C has a zone, FJ-C a child: moving either to the other province would strand them.
    moves = [("BJ-C", "350100", "adcode", "grid zones"), ("FJ-C", "110100", "parent_code", "children")]
    for code, adcode, param, words in moves:
        response = client.patch(
            f"/api/v1/organizations/{code}?version=1", json={"adcode": adcode}, headers=admin_headers
        )
        assert words in _problem(response, 409, param)


def test_an_imported_chain_without_regions_settles_in_its_roots_province(
    session, client, admin_headers, two_provinces
):
    # Children first, so the rows are linked before their parents are; points in no region, so the
    # importer places none of them in a region.
    rows = [("FJ-X-2", "FJ-X-1"), ("FJ-X-1", "FJ-X"), ("FJ-X", "FJ-C")]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [100.0, 10.0]},
            "properties": {"code": c, "name": c, "kind": "branch", "parent_code": p},
        }
        for c, p in rows
    ]
    collection = {"type": "FeatureCollection", "features": features}
    response = client.post("/api/v1/import/organizations", json=collection, headers=admin_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {_province(session, "organizations", c) for c, _ in rows} == {"35"}


# --- routing: every region-scoped statement plans onto one partition -----------------------------------


def _partition_by_province(connection: Connection) -> None:
    """Swap each sharded table for a copy LIST-partitioned by province, one partition per province."""
    for table in SHARDED:
        provinces = (
            connection.execute(text(f"SELECT DISTINCT province FROM {table} ORDER BY 1")).scalars().all()
        )
        connection.execute(text(f"ALTER TABLE {table} RENAME TO unsharded_{table}"))
        connection.execute(
            text(
                f"CREATE TABLE {table} (LIKE unsharded_{table} INCLUDING DEFAULTS) "
                "PARTITION BY LIST (province)"
            )
        )
        for province in provinces:
            assert re.fullmatch(r"[0-9]{2}", province)
            connection.execute(
                text(f"CREATE TABLE {table}_p{province} PARTITION OF {table} FOR VALUES IN ('{province}')")
            )
        connection.execute(text(f"CREATE TABLE {table}_pdefault PARTITION OF {table} DEFAULT"))
        connection.execute(text(f"INSERT INTO {table} SELECT * FROM unsharded_{table}"))
        connection.execute(text(f"ANALYZE {table}"))


@contextmanager
def _sent(connection: Connection) -> Iterator[list[str]]:
    """Collect every statement sent on connection, with its parameters bound as the server sees them."""
    sent: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            sent.append(cursor.mogrify(statement, parameters).decode())

    event.listen(connection, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", capture)


def _pieces(sql: str) -> Iterator[str]:
    """Split a multi-statement string at semicolons outside quotes and comments; drop comments."""
    piece, quoted, i = [], False, 0
    while i < len(sql):
        ch = sql[i]
        if not quoted and sql.startswith("--", i):
            i = sql.find("\n", i) if "\n" in sql[i:] else len(sql)
            continue
        if ch == "'":
            quoted = not quoted
        if ch == ";" and not quoted:
            yield "".join(piece).strip()
            piece = []
        else:
            piece.append(ch)
        i += 1
    yield "".join(piece).strip()


_TEMP_AS = re.compile(r"^CREATE TEMP TABLE \w+ ON COMMIT DROP AS\s+(.*)$", re.S | re.I)
_PLANNED = re.compile(r"^(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.I)
_MENTIONS = re.compile(r"\b(" + "|".join(SHARDED) + r")\b")
_WRITES = re.compile(r"\bINSERT INTO (" + "|".join(SHARDED) + r")\b", re.I)


def _relations(plan) -> Iterator[str]:
    if isinstance(plan, dict):
        if "Relation Name" in plan:
            yield plan["Relation Name"]
        for value in plan.values():
            yield from _relations(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from _relations(value)


def _partitions_read(connection: Connection, statement: str) -> dict[str, set[str]]:
    """Return, per sharded table, the partitions the plan of statement reads (EXPLAIN: planned, not run)."""
    plan = connection.execute(text("EXPLAIN (FORMAT JSON) " + statement.replace(":", r"\:"))).scalar_one()
    read: dict[str, set[str]] = {}
    for name in _relations(plan):
        table, _, province = name.rpartition("_p")
        if table in SHARDED:
            read.setdefault(table, set()).add(province)
    return read


def _unrouted(connection: Connection, sent: list[str]) -> tuple[list[str], int]:
    """Return the statements that read more or fewer than one partition of a sharded table, and how many
    statements on sharded tables were checked."""
    wrong, checked = [], 0
    for sql in sent:
        for piece in _pieces(sql):
            if any(marker in piece for marker in CROSS_PROVINCE):
                continue
            piece = _TEMP_AS.sub(r"\1", piece)
            if not _PLANNED.match(piece) or not _MENTIONS.search(piece):
                continue
            checked += 1
            read = _partitions_read(connection, piece)
            # An insert reads nothing sharded when it writes values it was given: the copies have no
            # trigger, so a row without its province has already failed on NOT NULL.
            empty_ok = _WRITES.search(piece) is not None
            if (not read and not empty_ok) or any(len(provinces) != 1 for provinces in read.values()):
                wrong.append(f"{read} <- {' '.join(piece.split())[:300]}")
    return wrong, checked


@pytest.fixture
def analysed(session, two_provinces):
    """Both cities analysed and snapshotted, so every sharded table has rows in both provinces."""
    for adcode in ("350100", "110100"):
        coverage.run_snapshot(session, adcode)
    session.flush()


def _region_scoped_reads(session, fuzhou: tuple[coverage_queries.RegionRef, org_queries.OrgRow]) -> None:
    """Run the region-scoped queries of every domain for Fuzhou (province 35) and its committee."""
    region, root = fuzhou
    coverage.refresh_region(session, region, rebuild=True)
    coverage.coverage_report(session, "350100")
    coverage.coverage_report(session, "350100", coverage.CoverageParams(reach_m={"community": 800}))
    snapshot = coverage.run_snapshot(session, "350100")
    coverage.history(session, "350100")
    coverage.findings_list(session, "350100", snapshot_id=snapshot.snapshot_id, within="350100")
    coverage.child_coverage(session, "350000")

    zones_in_box(session, None, "350100", 100, SUPER)
    zones_in_box(
        session, "SRID=4326;POLYGON((119 26,119.04 26,119.04 26.02,119 26.02,119 26))", "350000", 9, SUPER
    )

    region_ids = tuple(
        session.execute(text("SELECT id FROM regions WHERE adcode LIKE '35%' ORDER BY id")).scalars()
    )
    filters = org_queries.OrgFilters(region_ids=region_ids, province="35")
    org_queries.list_orgs(session, filters, SUPER, limit=50, offset=0)
    org_queries.count_orgs(session, filters, SUPER)
    org_queries.org_subtree(session, root, SUPER, max_depth=10, limit=100)
    org_queries.list_orgs(
        session, org_queries.OrgFilters(parent_id=root.id, province=root.province), SUPER, limit=50, offset=0
    )
    org_subtree_ids(session, root.id, root.province)
    distribution(session, "350100")


def test_region_scoped_queries_read_one_partition(session, connection, analysed):
    _partition_by_province(connection)
    # Looked up by adcode and code, which name no province, before the statements are collected.
    region = coverage_queries.get_region_ref(session, "350100")
    root = org_queries.get_org(session, org_queries.org_id_by_code(session, "FJ-C"), SUPER)
    with _sent(connection) as sent:
        _region_scoped_reads(session, (region, root))
    wrong, checked = _unrouted(connection, sent)
    assert checked >= 40  # the statements above really ran on the partitioned copies
    assert wrong == [], "\n".join(wrong)


def test_a_statement_without_its_province_reads_every_partition(session, connection, analysed):
    # The check itself can fail: the same list without the province condition reads both provinces.
    _partition_by_province(connection)
    statement = "SELECT id FROM zones z WHERE z.region_id = 1"
    wrong, checked = _unrouted(connection, [statement])
    assert checked == 1
    assert len(wrong) == 1 and "'11'" in wrong[0] and "'35'" in wrong[0]
