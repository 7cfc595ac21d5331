"""Red heritage site API (红色地图): search, detail, nearby sites, nearby merchants, admin writes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for
from shapely.geometry import Point

from ..db import get_read_session, get_session
from ..errors import InvalidParameter, NotFound
from ..geo import parse_choice, parse_coordsys, parse_int
from ..pois.queries import poi_conditions, pois_near
from ..pois.routes import poi_properties
from ..vocab import POI_CATEGORIES, SITE_CATEGORIES, SITE_LEVELS
from .admin import add_admin_writes
from .hours import is_open, now_moment
from .output import collection_response, convert_geometries, item_response, lon_lat, raw_collection_response
from .params import (
    parse_choices,
    parse_format,
    parse_k,
    parse_origin,
    parse_paging,
    parse_radius,
    parse_site_filters,
)
from .queries import (
    SORT_CHOICES,
    SiteSummary,
    count_sites,
    get_site,
    nearby_sites,
    search_sites,
    search_sites_features,
)
from .service import SiteInContext, site_in_context

bp = Blueprint("sites", __name__, url_prefix="/api/v1/sites")

MAX_ID = 2**31 - 1


def site_ref(ref: str) -> int | str:
    """Return a URL's site reference as an integer id, or as a code when it is not all digits."""
    if ref.isascii() and ref.isdigit():
        if int(ref) > MAX_ID:
            raise NotFound(f"site {ref} does not exist", param="id")
        return int(ref)
    if len(ref) > 40:
        raise NotFound("site codes are at most 40 characters", param="id")
    return ref


def count_exact_max() -> int:
    """Return how many rows a list counts exactly before it reports the planner's estimate instead."""
    return int(current_app.config.get("COUNT_EXACT_MAX", 10_000))


def summary_properties(site: SiteSummary) -> dict[str, Any]:
    """Return the listed fields of a site with Chinese labels; distance_m only when it was measured."""
    props = {
        "id": site.id,
        "code": site.code,
        "name": site.name,
        "category": site.category,
        "category_label": SITE_CATEGORIES.get(site.category),
        "level": site.level,
        "level_label": SITE_LEVELS.get(site.level or ""),
        "adcode": site.adcode,
        "address": site.address,
        "tags": site.tags,
        "dwell_min": site.dwell_min,
    }
    if site.distance_m is not None:
        props["distance_m"] = round(site.distance_m, 1)
    return props


def _page_links(total: int, limit: int, offset: int) -> dict[str, str]:
    args = request.args.to_dict()
    links = {"self": url_for(request.endpoint, **{**request.view_args, **args})}
    if offset + limit < total:
        links["next"] = url_for(request.endpoint, **{**request.view_args, **args, "offset": offset + limit})
    if offset > 0:
        links["prev"] = url_for(
            request.endpoint, **{**request.view_args, **args, "offset": max(offset - limit, 0)}
        )
    return links


@bp.get("")
def list_sites():
    """Search sites by region, category, level, tag, keyword, opening time and bbox; paged, with a count."""
    dst = parse_coordsys(request.args)
    fmt = parse_format(request.args)
    filters = parse_site_filters(request.args, dst)
    origin = parse_origin(request.args, dst)
    default_sort = "distance" if origin else ("relevance" if filters.q else "level")
    sort = parse_choice(request.args, "sort", SORT_CHOICES, default=default_sort)
    if sort == "distance" and origin is None:
        raise InvalidParameter("sort=distance needs lon and lat", param="sort")
    paging = parse_paging(request.args, max_limit=1000)
    if sort == "distance" and paging.offset + paging.limit > 10_000:
        raise InvalidParameter("sort=distance pages reach at most the 10,000 nearest", param="offset")
    session = get_read_session()
    count = count_sites(session, filters, count_exact_max())
    meta = {
        "count": count.total,
        "count_is_estimate": count.is_estimate,
        "limit": paging.limit,
        "offset": paging.offset,
        "sort": sort,
        "links": _page_links(count.total, paging.limit, paging.offset),
    }
    page = {"sort": sort, "limit": paging.limit, "offset": paging.offset, "origin": origin}
    if sort == "distance":
        return collection_response(search_sites(session, filters, **page), summary_properties, fmt, dst, meta)
    # An exact count means few matches: the page query then filters first and sorts after.
    page["few"] = not count.is_estimate
    if fmt == "geojson" and dst == "wgs84":
        # Large GeoJSON pages are assembled by PostGIS and passed through untouched.
        return raw_collection_response(search_sites_features(session, filters, **page), dst, meta)
    rows = search_sites(session, filters, **page)
    return collection_response(rows, summary_properties, fmt, dst, meta)


@bp.get("/nearby")
def nearby():
    """The K sites nearest a point, or all within radius_m metres, with spheroid distances; same filters."""
    dst = parse_coordsys(request.args)
    fmt = parse_format(request.args)
    origin = parse_origin(request.args, dst, required=True)
    radius_m = parse_radius(request.args)
    k = parse_k(request.args, default=None if radius_m else 10)
    limit = parse_int(request.args, "limit", default=100, lo=1, hi=1000)
    filters = parse_site_filters(request.args, dst)
    rows = nearby_sites(get_read_session(), origin, filters, k=k, radius_m=radius_m, limit=limit)
    meta = {"k": k, "radius_m": radius_m, "returned": len(rows)}
    if k is None:
        meta["truncated"] = len(rows) >= limit
    return collection_response(rows, summary_properties, fmt, dst, meta)


def detail_properties(found: SiteInContext, dst: str) -> dict[str, Any]:
    """Return every field of a site with labels, open-now, region path, nearest centre and links."""
    site, centre = found.site, found.nearest_centre
    origin_lon, origin_lat = site.geometry["coordinates"][:2]
    nearest_centre = None
    if centre is not None:
        [geometry] = convert_geometries([centre.geometry], dst)
        lon, lat = lon_lat(geometry)
        nearest_centre = {
            "id": centre.id,
            "code": centre.code,
            "name": centre.name,
            "level": centre.level,
            "reach_m": centre.reach_m,
            "address": centre.address,
            "distance_m": round(centre.distance_m or 0.0, 1),
            "lon": lon,
            "lat": lat,
            "href": url_for("centres.centre_detail", centre_id=centre.id),
        }
    return {
        "id": site.id,
        "code": site.code,
        "name": site.name,
        "category": site.category,
        "category_label": SITE_CATEGORIES.get(site.category),
        "level": site.level,
        "level_label": SITE_LEVELS.get(site.level or ""),
        "official_ids": site.official_ids,
        "adcode": site.adcode,
        "region_path": found.region_path,
        "address": site.address,
        "intro": site.intro,
        "story": site.story,
        "opening_hours": site.opening_hours,
        "open_now": is_open(site.opening_hours, now_moment()),
        "ticket": site.ticket,
        "transport": site.transport,
        "visit_guide": site.visit_guide,
        "photos": site.photos,
        "tags": site.tags,
        "dwell_min": site.dwell_min,
        "updated_at": site.updated_at.isoformat() if site.updated_at else None,
        "nearest_centre": nearest_centre,
        "links": {
            "self": url_for("sites.site_detail", ref=site.id),
            "nearby_sites": url_for("sites.nearby", lon=origin_lon, lat=origin_lat, k=10),
            "merchants": url_for("sites.merchants", ref=site.id),
            "ogc_item": url_for("ogc.item", collection_id="sites", fid=site.id),
        },
    }


@bp.get("/<ref>")
def site_detail(ref: str):
    """One site with every field (by integer id or by code)."""
    dst = parse_coordsys(request.args)
    fmt = parse_format(request.args)
    found = site_in_context(get_read_session(), site_ref(ref))
    return item_response(found.site, detail_properties(found, dst), fmt, dst)


@bp.get("/<ref>/merchants")
def merchants(ref: str):
    """POIs (周边推荐) within radius_m of a site, by category, nearest first."""
    dst = parse_coordsys(request.args)
    fmt = parse_format(request.args)
    categories = parse_choices(request.args, "category", POI_CATEGORIES)
    radius_m = parse_radius(request.args, default=1000.0)
    limit = parse_int(request.args, "limit", default=50, lo=1, hi=500)
    session = get_read_session()
    site = get_site(session, site_ref(ref))
    origin = Point(site.geometry["coordinates"][:2])
    rows = pois_near(session, origin, poi_conditions(categories), radius_m=radius_m, limit=limit)
    meta = {
        "site": {"id": site.id, "code": site.code, "name": site.name},
        "radius_m": radius_m,
        "returned": len(rows),
        "truncated": len(rows) >= limit,
    }
    return collection_response(rows, poi_properties, fmt, dst, meta)


def _show(site_id: int, dst: str):
    found = site_in_context(get_session(), site_id)
    return item_response(found.site, detail_properties(found, dst), "json", dst)


add_admin_writes(bp, "sites", _show, lambda site_id: url_for("sites.site_detail", ref=site_id))
