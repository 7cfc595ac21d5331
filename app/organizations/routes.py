"""Organization API (admin data): scoped list, one organization, its children and subtree, writes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, request, url_for

from ..auth import current_scope, deny_read, require_admin
from ..db import get_session
from ..errors import InvalidBody, InvalidParameter, NotFound
from ..geo import parse_coordsys, parse_int
from ..regions.province import province_of
from ..sites.output import collection_response, item_response
from ..sites.params import (
    json_body,
    parse_choices,
    parse_flag,
    parse_format,
    parse_keyword,
    parse_paging,
    parse_region,
)
from ..sites.writes import body_to_feature
from ..vocab import ORG_KINDS
from . import queries, service
from .queries import OrgFilters, OrgRow

bp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations")

MAX_ID = 2**31 - 1


def _mask_name(value: str | None) -> str | None:
    return value[0] + "*" * max(len(value) - 1, 1) if value else value


def _mask_phone(value: str | None) -> str | None:
    return "*" * (len(value) - 4) + value[-4:] if value and len(value) > 4 else value


def org_properties(org: OrgRow, sensitive: bool) -> dict[str, Any]:
    """Return an organization's fields with its kind label; contact name and phone masked unless sensitive."""
    props = {
        "id": org.id,
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "kind_label": ORG_KINDS.get(org.kind),
        "parent_id": org.parent_id,
        "parent_code": org.parent_code,
        "adcode": org.adcode,
        "region_name": org.region_name,
        "member_total": org.member_total,
        "member_counts": org.member_counts,
        "contact_person": org.contact_person if sensitive else _mask_name(org.contact_person),
        "contact_phone": org.contact_phone if sensitive else _mask_phone(org.contact_phone),
        "active": org.active,
        "children_count": org.children_count,
        "zones_count": org.zones_count,
        "version": org.version,
        "updated_at": org.updated_at.isoformat(),
    }
    if org.depth is not None:
        props["depth"] = org.depth
    return props


def _page_links(total: int, limit: int, offset: int) -> dict[str, str]:
    args = request.args.to_dict()
    here = {**(request.view_args or {}), **args}
    links = {"self": url_for(request.endpoint, **here)}
    if offset + limit < total:
        links["next"] = url_for(request.endpoint, **{**here, "offset": offset + limit})
    if offset > 0:
        links["prev"] = url_for(request.endpoint, **{**here, "offset": max(offset - limit, 0)})
    return links


def _org_id(ref: str) -> int | None:
    """Return the id a URL's reference names: an id when all digits, else an organization code."""
    if ref.isascii() and ref.isdigit():
        return int(ref) if int(ref) <= MAX_ID else None
    if len(ref) > 40 or "\x00" in ref:
        return None
    return queries.org_id_by_code(get_session(), ref)


def _readable(ref: str) -> OrgRow:
    """Return the organization ref names if the caller may read it; 404 otherwise (in scope or not)."""
    org_id = _org_id(ref)
    org = queries.get_org(get_session(), org_id, current_scope()) if org_id is not None else None
    if org is None:
        # Out of scope reads as absent, so an organization's existence is not revealed.
        raise deny_read(f"organization {ref[:40]}")
    return org


def _writable_id(ref: str) -> int:
    org_id = _org_id(ref)
    if org_id is None:
        raise NotFound(f"organization {ref[:40]} does not exist")
    return org_id


def _parent(raw: str | None) -> int | None:
    if not raw:
        return None
    org_id = _org_id(raw.strip())
    if org_id is None:
        raise InvalidParameter(f"no organization is {raw[:40]!r}", param="parent")
    return org_id


def _active() -> bool | None:
    if not request.args.get("active"):
        return None
    return parse_flag(request.args, "active")


def _listing(filters: OrgFilters, sensitive: bool) -> Response:
    dst = parse_coordsys(request.args)
    fmt = parse_format(request.args)
    paging = parse_paging(request.args, default_limit=50, max_limit=1000)
    session, scope = get_session(), current_scope()
    rows = queries.list_orgs(session, filters, scope, limit=paging.limit, offset=paging.offset)
    total = queries.count_orgs(session, filters, scope)
    meta = {
        "count": total,
        "count_is_estimate": False,
        "limit": paging.limit,
        "offset": paging.offset,
        "links": _page_links(total, paging.limit, paging.offset),
    }
    return collection_response(rows, lambda r: org_properties(r, sensitive), fmt, dst, meta)


@bp.get("")
def list_all():
    """Organizations in the caller's scope by region (and regions below), parent, kind, active and name."""
    require_admin()
    region_ids = parse_region(request.args)
    filters = OrgFilters(
        region_ids=region_ids,
        province=province_of(request.args["region"].strip()) if region_ids else None,
        parent_id=_parent(request.args.get("parent")),
        kinds=parse_choices(request.args, "kind", ORG_KINDS),
        active=_active(),
        q=parse_keyword(request.args),
    )
    return _listing(filters, parse_flag(request.args, "sensitive"))


@bp.get("/<ref>")
def detail(ref: str):
    """One organization with its parent, counts and region path."""
    require_admin()
    org = _readable(ref)
    sensitive = parse_flag(request.args, "sensitive")
    props = org_properties(org, sensitive)
    props["parent"] = (
        {"id": org.parent_id, "code": org.parent_code, "name": org.parent_name} if org.parent_id else None
    )
    props["region_path"] = [asdict(step) for step in queries.region_path(get_session(), org.id)]
    response = item_response(org, props, parse_format(request.args), parse_coordsys(request.args))
    response.headers["ETag"] = f'"{org.version}"'
    return response


@bp.get("/<ref>/children")
def children(ref: str):
    """The organizations directly below one organization, paged."""
    require_admin()
    org = _readable(ref)
    filters = OrgFilters(
        parent_id=org.id,
        province=org.province,
        kinds=parse_choices(request.args, "kind", ORG_KINDS),
        active=_active(),
    )
    return _listing(filters, parse_flag(request.args, "sensitive"))


@bp.get("/<ref>/subtree")
def subtree(ref: str):
    """One organization and every organization below it (depth 0 is the organization), depth first."""
    require_admin()
    org = _readable(ref)
    max_depth = parse_int(request.args, "max_depth", default=10, lo=0, hi=20)
    limit = parse_int(request.args, "limit", default=1000, lo=1, hi=5000)
    rows = queries.org_subtree(get_session(), org, current_scope(), max_depth=max_depth, limit=limit)
    sensitive = parse_flag(request.args, "sensitive")
    meta = {
        "root": org.id,
        "max_depth": max_depth,
        "limit": limit,
        "returned": len(rows),
        "truncated": len(rows) == limit,
    }
    return collection_response(
        rows,
        lambda r: org_properties(r, sensitive),
        parse_format(request.args),
        parse_coordsys(request.args),
        meta,
    )


def _version(body: dict[str, Any] | None = None) -> int | None:
    """The version the client edited: version in the body or its properties, else If-Match, else ?version=."""
    raw = None
    if body:
        props = body.get("properties") if isinstance(body.get("properties"), dict) else body
        raw = props.get("version")
    if raw is None:
        raw = (request.headers.get("If-Match") or "").strip('W/" ') or None
    if raw is None:
        raw = request.args.get("version") or None
    if raw is None:
        return None
    if isinstance(raw, bool) or not str(raw).isdigit() or len(str(raw)) > 9:
        raise InvalidParameter(f"version must be a whole number, got {str(raw)[:20]!r}", param="version")
    return int(raw)


def _written(result: service.OrgWrite, status: int) -> Response:
    org = result.org
    response = item_response(org, org_properties(org, True), "json", parse_coordsys(request.args))
    response.status_code = status
    response.headers["ETag"] = f'"{org.version}"'
    response.headers["Location"] = url_for("organizations.detail", ref=org.id)
    return response


def _feature() -> tuple[dict[str, Any], dict[str, Any]]:
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidBody(
            "send a JSON object: a GeoJSON Feature or the fields with lon and lat", param="body"
        )
    return body, body_to_feature(body)


@bp.post("")
def create():
    """Create an organization below one in the caller's subtree (admin)."""
    require_admin()
    src = parse_coordsys(request.args)
    _, feature = _feature()
    session = get_session()
    result = service.create_org(session, feature, scope=current_scope(), src_coordsys=src)
    session.commit()
    return _written(result, 201)


@bp.patch("/<ref>")
def update(ref: str):
    """Change fields of an organization or move it under another parent, with a version check (admin)."""
    require_admin()
    src = parse_coordsys(request.args)
    body, feature = _feature()
    feature["properties"].pop("version", None)
    session = get_session()
    result = service.update_org(
        session, _writable_id(ref), feature, _version(body), scope=current_scope(), src_coordsys=src
    )
    session.commit()
    return _written(result, 200)


@bp.delete("/<ref>")
def delete(ref: str):
    """Delete an organization that nothing refers to any more, with a version check (admin)."""
    require_admin()
    org_id = _writable_id(ref)
    session = get_session()
    service.delete_org(session, org_id, _version(), scope=current_scope())
    session.commit()
    return {"deleted": org_id}, 200
