"""OGC API - Features (Part 1: Core, GeoJSON) over the public layers, for QGIS and other GIS clients.

Served at the root (/collections...) and again under /ogc, whose landing page a client can be pointed at.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for

from ..db import get_read_session
from ..errors import InvalidParameter, NotFound
from ..geo import parse_bbox, parse_coordsys, parse_int
from ..sites.filters import bbox_condition
from ..sites.output import convert_geometries, geojson_response, raw_collection_response
from ..sites.tablesql import Count
from .queries import (
    COLLECTIONS,
    Collection,
    count_features,
    extent,
    feature_page,
    feature_page_json,
    get_feature,
    property_condition,
)

bp = Blueprint("ogc", __name__)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
JSON, GEOJSON = "application/json", "application/geo+json"
OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
# Parameters every items request may carry besides the collection's queryables.
ITEMS_PARAMS = {"bbox", "bbox-crs", "limit", "offset", "f", "coordsys", "datetime"}
MAX_ITEMS = 10_000


def _rules(*rules: str):
    """Register a view under each rule, at the root and under /ogc."""

    def decorate(view):
        for rule in rules:
            bp.add_url_rule(rule, view_func=view, methods=["GET"])
            bp.add_url_rule("/ogc" + rule, view_func=view, methods=["GET"])
        return view

    return decorate


def _link(href: str, rel: str, media: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media, "title": title}


def _check_f(allowed: tuple[str, ...] = ("json",)) -> None:
    f = request.args.get("f")
    if f is not None and f not in allowed:
        raise InvalidParameter(f"f must be one of {', '.join(allowed)}; only JSON is served", param="f")


def _collection(collection_id: str) -> Collection:
    if collection_id not in COLLECTIONS:
        raise NotFound(f"no collection {collection_id!r}; collections are {', '.join(COLLECTIONS)}")
    return COLLECTIONS[collection_id]


@bp.get("/ogc")
@bp.get("/ogc/")
def landing():
    """OGC API landing page: links to the API definition, conformance and the collections."""
    _check_f()
    return jsonify(
        {
            "title": "Hongtu 红图 OGC API - Features",
            "description": "Red heritage sites, service centres, POIs, routes and regions as GeoJSON.",
            "links": [
                _link(url_for("ogc.landing", _external=True), "self", JSON, "This document"),
                _link(
                    url_for("openapi.spec", _external=True), "service-desc", OPENAPI_MEDIA, "API definition"
                ),
                _link(
                    url_for("openapi.docs", _external=True), "service-doc", "text/html", "API documentation"
                ),
                _link(url_for("ogc.conformance", _external=True), "conformance", JSON, "Conformance classes"),
                _link(url_for("ogc.collections", _external=True), "data", JSON, "Feature collections"),
            ],
        }
    )


@_rules("/conformance")
def conformance():
    """The conformance classes this API implements."""
    _check_f()
    return jsonify({"conformsTo": list(CONFORMANCE)})


def _describe(collection: Collection) -> dict[str, Any]:
    box = extent(get_read_session(), collection)
    described: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            _link(
                url_for("ogc.collection", collection_id=collection.id, _external=True),
                "self",
                JSON,
                collection.title,
            ),
            _link(
                url_for("ogc.items", collection_id=collection.id, _external=True),
                "items",
                GEOJSON,
                f"{collection.title} items",
            ),
        ],
    }
    if box is not None:
        described["extent"] = {"spatial": {"bbox": [box], "crs": CRS84}}
    return described


@_rules("/collections")
def collections():
    """Every public collection with its extent and links."""
    _check_f()
    return jsonify(
        {
            "links": [_link(url_for("ogc.collections", _external=True), "self", JSON, "Collections")],
            "collections": [_describe(c) for c in COLLECTIONS.values()],
        }
    )


@_rules("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection's description."""
    _check_f()
    return jsonify(_describe(_collection(collection_id)))


def _items_url(collection_id: str, **overrides: Any) -> str:
    args = {**request.args.to_dict(), **overrides}
    return url_for("ogc.items", collection_id=collection_id, _external=True, **args)


@_rules("/collections/<collection_id>/items")
def items(collection_id: str):
    """A page of features: bbox, limit, offset and equality filters on the collection's queryables."""
    coll = _collection(collection_id)
    _check_f(("json", "geojson"))
    unknown = sorted(set(request.args) - ITEMS_PARAMS - set(coll.queryables))
    if unknown:
        raise InvalidParameter(
            f"unknown parameter {unknown[0]!r}; {coll.id} can be filtered by {', '.join(coll.queryables)}",
            param=unknown[0],
        )
    crs = request.args.get("bbox-crs")
    if crs is not None and crs != CRS84:
        raise InvalidParameter(f"bbox-crs must be {CRS84}", param="bbox-crs")
    dst = parse_coordsys(request.args)
    # The standard asks for a limit above the maximum to be served at the maximum, not refused.
    limit = min(parse_int(request.args, "limit", default=100, lo=1, hi=2**31 - 1), MAX_ITEMS)
    offset = parse_int(request.args, "offset", default=0, lo=0, hi=10_000_000)
    conditions = [
        property_condition(coll, name, request.args[name]) for name in coll.queryables if name in request.args
    ]
    bbox = parse_bbox(request.args, crs=dst)
    if bbox is not None:
        conditions.append(bbox_condition(bbox))
    session = get_read_session()
    count = count_features(session, coll, conditions, int(current_app.config.get("COUNT_EXACT_MAX", 10_000)))
    if dst == "wgs84":
        # CRS84 pages are assembled by PostGIS and passed through untouched.
        features_json, returned = feature_page_json(session, coll, conditions, limit=limit, offset=offset)
    else:
        rows = feature_page(session, coll, conditions, limit=limit, offset=offset)
        geometries = convert_geometries([r.geometry for r in rows], dst)
        features = [
            {"type": "Feature", "id": r.id, "geometry": g, "properties": r.properties}
            for r, g in zip(rows, geometries, strict=True)
        ]
        features_json, returned = json.dumps(features, ensure_ascii=False), len(features)
    meta: dict[str, Any] = {
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberReturned": returned,
        "links": _page_links(coll, offset, limit, returned, count),
    }
    # numberMatched is optional in the standard; an estimate would mislead a client paging to the end.
    if not count.is_estimate:
        meta["numberMatched"] = count.total
    return raw_collection_response(features_json, dst, meta)


def _page_links(
    coll: Collection, offset: int, limit: int, returned: int, count: Count
) -> list[dict[str, str]]:
    links = [
        _link(_items_url(coll.id), "self", GEOJSON, "This page"),
        _link(
            url_for("ogc.collection", collection_id=coll.id, _external=True), "collection", JSON, coll.title
        ),
    ]
    more = offset + returned < count.total if not count.is_estimate else returned == limit
    if more:
        links.append(
            _link(_items_url(coll.id, offset=offset + limit, limit=limit), "next", GEOJSON, "Next page")
        )
    if offset > 0:
        previous = _items_url(coll.id, offset=max(offset - limit, 0), limit=limit)
        links.append(_link(previous, "prev", GEOJSON, "Previous page"))
    return links


@_rules("/collections/<collection_id>/items/<fid>")
def item(collection_id: str, fid: str):
    """One feature by id."""
    coll = _collection(collection_id)
    _check_f(("json", "geojson"))
    dst = parse_coordsys(request.args)
    if not (fid.isascii() and fid.isdigit() and int(fid) < 2**31):
        raise NotFound(f"{coll.id} has no feature {fid[:40]!r}", param="fid")
    row = get_feature(get_read_session(), coll, int(fid))
    if row is None:
        raise NotFound(f"{coll.id} has no feature {fid}", param="fid")
    [geometry] = convert_geometries([row.geometry], dst)
    return geojson_response(
        {
            "type": "Feature",
            "id": row.id,
            "geometry": geometry,
            "properties": row.properties,
            "coordsys": dst,
            "links": [
                _link(
                    url_for("ogc.item", collection_id=coll.id, fid=row.id, _external=True),
                    "self",
                    GEOJSON,
                    "This feature",
                ),
                _link(
                    url_for("ogc.collection", collection_id=coll.id, _external=True),
                    "collection",
                    JSON,
                    coll.title,
                ),
            ],
        }
    )
