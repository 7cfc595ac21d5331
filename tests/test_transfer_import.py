"""Imports on a real PostGIS: validation row by row, all-or-nothing writes, upserts, coordinate systems."""

import json

import pytest
from sqlalchemy import text

from app.errors import ImportRejected
from app.transfer.layers import get_layer
from app.transfer.service import import_layer
from tests.conftest import load

# Tiananmen reference point of the published GCJ-02 / BD-09 formulas: WGS84 and the same place shifted.
WGS = (116.404, 39.915)
GCJ = (116.41024449916938, 39.91640428150164)
BD = (116.41662724378733, 39.922699552216216)


def _count(session, table: str) -> int:
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _site_xy(session, code: str) -> tuple[float, float]:
    row = session.execute(
        text("SELECT ST_X(geom) x, ST_Y(geom) y FROM heritage_sites WHERE code = :c"), {"c": code}
    ).one()
    return row.x, row.y


def _one_site(lon: float, lat: float, code: str = "T-C-1") -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {"code": code, "name": "坐标测试", "category": "monument"},
                }
            ],
        }
    ).encode()


def test_sites_import_places_each_site_in_its_deepest_region(session, test_regions):
    result = load(session, "sites", "sites.geojson")
    assert (result.rows, result.inserted, result.updated) == (3, 3, 0)
    regions = dict(
        session.execute(
            text("SELECT s.code, g.adcode FROM heritage_sites s JOIN regions g ON g.id = s.region_id")
        ).all()
    )
    assert regions == {"T-S-1": "990101", "T-S-2": "990102", "T-S-3": "990101"}


def test_reimport_is_an_upsert_not_a_duplicate(session, test_regions):
    load(session, "sites", "sites.geojson")
    again = load(session, "sites", "sites.geojson")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert _count(session, "heritage_sites") == 3


def test_changed_row_is_updated_in_place(session, test_regions):
    load(session, "sites", "sites.geojson")
    site_id = session.execute(text("SELECT id FROM heritage_sites WHERE code = 'T-S-2'")).scalar_one()
    doc = json.loads(_one_site(119.031, 26.011, code="T-S-2"))
    result = import_layer(session, get_layer("sites"), json.dumps(doc).encode(), "geojson")
    assert (result.inserted, result.updated) == (0, 1)
    assert session.execute(text("SELECT id FROM heritage_sites WHERE code = 'T-S-2'")).scalar_one() == site_id
    assert _site_xy(session, "T-S-2") == pytest.approx((119.031, 26.011))


def test_csv_import_reads_lon_lat_lists_and_json(session, test_regions):
    result = load(session, "sites", "sites.csv", fmt="csv")
    assert result.inserted == 2
    row = session.execute(
        text("SELECT tags, opening_hours, level FROM heritage_sites WHERE code = 'T-S-10'")
    ).one()
    assert row.tags == ["故居", "测试"]
    assert row.opening_hours == {"tue": [["08:30", "17:30"]]}
    assert row.level == "county"
    assert _site_xy(session, "T-S-11") == pytest.approx((119.035, 26.015))


@pytest.mark.parametrize(("coordsys", "given"), [("gcj02", GCJ), ("bd09", BD), ("wgs84", WGS)])
def test_import_converts_to_wgs84(session, coordsys, given):
    import_layer(session, get_layer("sites"), _one_site(*given), "geojson", coordsys)
    x, y = _site_xy(session, "T-C-1")
    assert x == pytest.approx(WGS[0], abs=1e-7)
    assert y == pytest.approx(WGS[1], abs=1e-7)


def test_bad_file_names_every_error_and_writes_nothing(session, test_regions):
    with pytest.raises(ImportRejected) as caught:
        load(session, "sites", "sites_bad.geojson")
    errors = {(e["row"], e["field"]) for e in caught.value.errors}
    assert ("feature 1", "geometry") in errors
    assert ("feature 2", "category") in errors
    assert ("feature 3", "name") in errors
    assert ("feature 3", "opening_hours") in errors
    assert not any(row == "feature 0" for row, _ in errors)
    assert _count(session, "heritage_sites") == 0


def test_reference_errors_found_in_the_database_also_write_nothing(session, test_regions):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [119.01, 26.01]},
                "properties": {"code": "T-R-1", "name": "甲", "category": "museum"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [119.01, 26.01]},
                "properties": {"code": "T-R-2", "name": "乙", "category": "museum", "adcode": "123456"},
            },
        ],
    }
    with pytest.raises(ImportRejected) as caught:
        import_layer(session, get_layer("sites"), json.dumps(doc).encode(), "geojson")
    assert caught.value.errors == [
        {"row": "feature 1", "field": "adcode", "message": "no region has adcode 123456"}
    ]
    assert _count(session, "heritage_sites") == 0


def test_repeated_code_in_one_file_is_an_error(session):
    doc = json.loads(_one_site(119.0, 26.0))
    doc["features"].append(doc["features"][0])
    with pytest.raises(ImportRejected) as caught:
        import_layer(session, get_layer("sites"), json.dumps(doc).encode(), "geojson")
    assert caught.value.errors[0]["row"] == "feature 1"
    assert "repeats feature 0" in caught.value.errors[0]["message"]


def test_unreadable_files_are_rejected_with_a_reason(session):
    for data, fmt, needle in [
        (b"{not json", "geojson", "not valid JSON"),
        (b'{"type": "Point"}', "geojson", "FeatureCollection"),
        (b"\xff\xfe\x00", "geojson", "UTF-8"),
        (b"code,name\nx,y\n", "csv", "lon and lat"),
    ]:
        with pytest.raises(ImportRejected, match=needle):
            import_layer(session, get_layer("sites"), data, fmt)


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[119.0, 26.0], [119.01, 26.01], [119.01, 26.0], [119.0, 26.01], [119.0, 26.0]]],
}


def _zone(geometry, code="990101001001001", adcode="990101", **props) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {"code": code, "name": "测试网格", "adcode": adcode, **props},
                }
            ],
        }
    ).encode()


def test_invalid_polygon_is_rejected_with_the_postgis_reason(session, test_regions):
    with pytest.raises(ImportRejected) as caught:
        import_layer(session, get_layer("zones"), _zone(BOWTIE), "geojson")
    [error] = caught.value.errors
    assert error["field"] == "geometry"
    assert "Self-intersection" in error["message"]
    assert "near 119.005000,26.005000" in error["message"]
    assert _count(session, "zones") == 0


def test_repair_makes_the_polygon_valid_and_says_what_changed(session, test_regions):
    result = import_layer(session, get_layer("zones"), _zone(BOWTIE), "geojson", repair=True)
    [repaired] = result.repaired
    assert repaired["row"] == "feature 0" and repaired["parts"] == 2
    # The two triangles of the bowtie each cover a quarter of the 0.01° square.
    assert session.execute(text("SELECT ST_IsValid(geom) AND ST_NumGeometries(geom) = 2 FROM zones")).scalar()
    assert repaired["area_after_m2"] == pytest.approx(
        session.execute(text("SELECT ST_Area(geom::geography) FROM zones")).scalar(), rel=1e-6
    )


def test_zone_code_must_follow_its_region(session, test_regions):
    square = {
        "type": "Polygon",
        "coordinates": [[[119.0, 26.0], [119.01, 26.0], [119.01, 26.01], [119.0, 26.01], [119.0, 26.0]]],
    }
    with pytest.raises(ImportRejected) as caught:
        import_layer(session, get_layer("zones"), _zone(square, code="990102001001001"), "geojson")
    assert "must start with its region adcode 990101" in caught.value.errors[0]["message"]


def _org(code, parent=None, kind="branch"):
    props = {"code": code, "name": f"组织{code}", "kind": kind}
    if parent:
        props["parent_code"] = parent
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [119.01, 26.01]},
        "properties": props,
    }


def test_organization_tree_links_parents_in_the_same_file(session, test_regions):
    doc = {
        "type": "FeatureCollection",
        "features": [
            _org("B1", "C1"),
            _org("C1", kind="committee"),
            _org("G1", "C1", "general_branch"),
            _org("B2", "G1"),
        ],
    }
    import_layer(session, get_layer("organizations"), json.dumps(doc).encode(), "geojson")
    parents = dict(
        session.execute(
            text("SELECT o.code, p.code FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id")
        ).all()
    )
    assert parents == {"B1": "C1", "C1": None, "G1": "C1", "B2": "G1"}


def test_organization_cycles_and_unknown_parents_are_rejected(session, test_regions):
    cycle = {"type": "FeatureCollection", "features": [_org("A", "B"), _org("B", "A")]}
    with pytest.raises(ImportRejected, match="2 problem"):
        import_layer(session, get_layer("organizations"), json.dumps(cycle).encode(), "geojson")
    orphan = {"type": "FeatureCollection", "features": [_org("A", "NOPE")]}
    with pytest.raises(ImportRejected) as caught:
        import_layer(session, get_layer("organizations"), json.dumps(orphan).encode(), "geojson")
    assert caught.value.errors[0]["message"] == "no organization has code NOPE"
    assert _count(session, "organizations") == 0


def test_routes_keep_their_stops_in_order(session, test_regions):
    load(session, "sites", "sites.geojson")
    route = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": None,
                "properties": {"code": "T-RT-1", "name": "测试线路", "stops": ["T-S-3", "T-S-1", "T-S-2"]},
            }
        ],
    }
    import_layer(session, get_layer("routes"), json.dumps(route).encode(), "geojson")
    route["features"][0]["properties"]["stops"] = ["T-S-2", "T-S-1"]
    import_layer(session, get_layer("routes"), json.dumps(route).encode(), "geojson")
    stops = (
        session.execute(
            text("""SELECT h.code FROM route_stops s JOIN heritage_sites h ON h.id = s.site_id
                                    ORDER BY s.seq""")
        )
        .scalars()
        .all()
    )
    assert stops == ["T-S-2", "T-S-1"]
    route["features"][0]["properties"]["stops"] = ["T-S-2", "MISSING"]
    with pytest.raises(ImportRejected, match="1 problem"):
        import_layer(session, get_layer("routes"), json.dumps(route).encode(), "geojson")
