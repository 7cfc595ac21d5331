"""Exports: what goes out comes back in unchanged, in every format and coordinate system."""

import csv
import io
import json

import pytest
from sqlalchemy import text

from app import coordsys
from app.transfer.layers import get_layer
from app.transfer.service import export_csv, export_geojson, import_layer
from tests.conftest import load


def _geojson(session, layer, dst="wgs84", sensitive=False) -> dict:
    return json.loads("".join(export_geojson(session, get_layer(layer), dst, include_sensitive=sensitive)))


def test_geojson_export_round_trips_as_an_unchanged_upsert(session, test_regions):
    load(session, "sites", "sites.geojson")
    doc = _geojson(session, "sites")
    assert [f["properties"]["code"] for f in doc["features"]] == ["T-S-1", "T-S-2", "T-S-3"]
    assert doc["features"][0]["properties"]["adcode"] == "990101"
    result = import_layer(session, get_layer("sites"), json.dumps(doc).encode(), "geojson")
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 3)


def test_csv_export_round_trips(session, test_regions):
    load(session, "sites", "sites.geojson")
    data = "".join(export_csv(session, get_layer("sites"))).encode()
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert rows[0]["tags"] == "测试|会议"
    assert json.loads(rows[0]["opening_hours"])["sat"] == [["09:00", "11:30"], ["14:00", "17:00"]]
    result = import_layer(session, get_layer("sites"), data, "csv")
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 3)


def test_polygon_layers_export_wkt_in_csv_and_round_trip(session, test_regions):
    data = "".join(export_csv(session, get_layer("regions"))).encode()
    assert b"MULTIPOLYGON" in data
    result = import_layer(session, get_layer("regions"), data, "csv")
    assert result.unchanged == 4


@pytest.mark.parametrize("dst", ["gcj02", "bd09"])
def test_export_in_chinese_coordinate_systems(session, test_regions, dst):
    load(session, "sites", "sites.geojson")
    doc = _geojson(session, "sites", dst)
    assert doc["coordsys"] == dst
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    expected = coordsys.convert(119.005, 26.005, "wgs84", dst)
    assert (lon, lat) == pytest.approx(expected, abs=1e-9)
    # ... and importing that file with the same coordsys lands on the stored WGS84 point again.
    result = import_layer(session, get_layer("sites"), json.dumps(doc).encode(), "geojson", dst)
    assert result.updated + result.unchanged == 3
    x, y = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM heritage_sites WHERE code='T-S-1'")).one()
    assert (x, y) == pytest.approx((119.005, 26.005), abs=1e-7)


def _orgs(session):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [119.01, 26.01]},
                "properties": {
                    "code": "O1",
                    "name": "测试党支部",
                    "kind": "branch",
                    "contact_person": "张三丰",
                    "contact_phone": "13900001234",
                    "member_counts": {"full": 30},
                    "member_total": 30,
                },
            }
        ],
    }
    import_layer(session, get_layer("organizations"), json.dumps(doc).encode(), "geojson")


def test_contacts_are_masked_unless_asked_for(session, test_regions):
    _orgs(session)
    masked = _geojson(session, "organizations")["features"][0]["properties"]
    assert masked["contact_person"] == "张**"
    assert masked["contact_phone"] == "*******1234"
    full = _geojson(session, "organizations", sensitive=True)["features"][0]["properties"]
    assert (full["contact_person"], full["contact_phone"]) == ("张三丰", "13900001234")


def test_routes_export_their_stops_and_a_line_through_them(session, test_regions):
    load(session, "sites", "sites.geojson")
    route = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": None,
                "properties": {"code": "T-RT-1", "name": "测试线路", "stops": ["T-S-1", "T-S-3"]},
            }
        ],
    }
    import_layer(session, get_layer("routes"), json.dumps(route).encode(), "geojson")
    [feature] = _geojson(session, "routes")["features"]
    assert feature["properties"]["stops"] == ["T-S-1", "T-S-3"]
    assert feature["geometry"] == {
        "type": "LineString",
        "coordinates": [[119.005, 26.005], [119.015, 26.015]],
    }
