"""Plans and curated routes as GPX 1.1 (for navigation apps) and as GeoJSON FeatureCollections (EPSG:4326)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from ..geo import feature_collection, to_feature

GPX_NS = "http://www.topografix.com/GPX/1/1"


def _utc(iso_local: str | None) -> str | None:
    if not iso_local:
        return None
    return datetime.fromisoformat(iso_local).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, value: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if value is not None:
        element.text = value
    return element


def gpx_document(name: str, body: dict[str, Any]) -> str:
    """Return a GPX 1.1 document: a waypoint per stop (timed for plans), a route through them, the track."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element("gpx", {"version": "1.1", "creator": "Hongtu", "xmlns": GPX_NS})
    meta = _sub(root, "metadata")
    _sub(meta, "name", name)
    for stop in body["stops"]:
        wpt = _sub(root, "wpt", lat=f"{stop['lat']:.7f}", lon=f"{stop['lon']:.7f}")
        if stop.get("arrive_at"):
            _sub(wpt, "time", _utc(stop["arrive_at"]))
        _sub(wpt, "name", f"{stop['seq']}. {stop['name']}")
        if stop.get("arrive_at"):
            _sub(wpt, "desc", f"{stop['arrive_at'][11:16]}–{stop['depart_at'][11:16]}")
        _sub(wpt, "type", stop.get("category"))
    rte = _sub(root, "rte")
    _sub(rte, "name", name)
    for stop in body["stops"]:
        rtept = _sub(rte, "rtept", lat=f"{stop['lat']:.7f}", lon=f"{stop['lon']:.7f}")
        _sub(rtept, "name", stop["name"])
    if body.get("path"):
        trk = _sub(root, "trk")
        _sub(trk, "name", name)
        seg = _sub(trk, "trkseg")
        for lon, lat in body["path"]["coordinates"]:
            _sub(seg, "trkpt", lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def geojson_document(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Return the stops as Points and the legs as LineStrings in one FeatureCollection."""
    features = []
    for stop in body["stops"]:
        props = {k: v for k, v in stop.items() if k not in ("lon", "lat")}
        point = {"type": "Point", "coordinates": [stop["lon"], stop["lat"]]}
        features.append(to_feature(point, {"kind": "stop", **props}, fid=f"stop-{stop['seq']}"))
    for n, leg in enumerate(body["legs"], start=1):
        props = {k: v for k, v in leg.items() if k != "geometry"}
        features.append(to_feature(leg["geometry"], {"kind": "leg", "seq": n, **props}, fid=f"leg-{n}"))
    return feature_collection(
        features, name=name, totals=body.get("totals"), travel=body.get("travel"), coordsys="wgs84"
    )
