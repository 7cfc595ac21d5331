"""Zone writes: field and geometry checks, code rules, optional repair, optimistic version checks.

Every write is limited to the caller's scope before and after the change, and leaves an audit entry in the
write's own transaction.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..auth import Scope, audit, check_geometry, deny_write
from ..coverage.queries import stale_regions
from ..errors import ApiError, Conflict, InvalidBody, NotFound
from ..regions.province import province_of
from ..transfer.layers import get_layer
from ..transfer.readers import RawRow
from ..transfer.validate import check_rows
from . import queries

log = logging.getLogger(__name__)

# DB11/T 2157-2023: 6-digit district adcode + 3 street + 3 community + 3 sequence.
DEFAULT_CODE_PATTERN = r"^[0-9]{15}$"
ZONE_FIELDS = ("code", "name", "level", "adcode", "org_code", "grid_worker", "grid_worker_phone")
_READ_ONLY = {"version", "region_name", "org_name", "area_m2", "id"}


class InvalidGeometry(ApiError):
    status, code, title = 422, "invalid-geometry", "Invalid geometry"


@dataclass(frozen=True)
class ZoneWrite:
    """The outcome of a zone write: the zone as stored, the repair made, the regions now stale."""

    zone: queries.ZoneRow
    repaired: dict[str, Any] | None
    stale_regions: list[str]


def _checked(
    body: dict[str, Any], src_coordsys: str, with_geometry: bool
) -> tuple[dict[str, Any], str | None]:
    """Return the clean properties and the geometry as WKB hex (EPSG:4326) of a GeoJSON Feature body."""
    layer = get_layer("zones")
    if not with_geometry:
        layer = dataclasses.replace(layer, geometry=None)
    geometry, error = None, None
    if with_geometry:
        try:
            geometry = shape(body["geometry"])
        except Exception as err:  # shapely raises many types for malformed GeoJSON
            error = f"unreadable geometry: {str(err)[:120] or type(err).__name__}"
        if geometry is not None:
            check_geometry(geometry)
    # Properties our own responses carry may come back in an edit; they are not written.
    props = {k: v for k, v in body["properties"].items() if k not in _READ_ONLY}
    checked = check_rows(layer, [RawRow("body", props, geometry, error)], src_coordsys)
    if checked.errors:
        errors = [{"param": e["field"], "message": e["message"]} for e in checked.errors]
        raise InvalidBody(f"the zone has {len(errors)} problem(s)", errors=errors)
    row = checked.rows[0]
    return {k: row.get(k) for k in ZONE_FIELDS}, row.get("wkb")


def _check_code(values: dict[str, Any], code_pattern: str) -> None:
    code, adcode = values["code"], values["adcode"]
    if not re.fullmatch(code_pattern, code):
        raise InvalidBody(
            f"zone code {code!r} does not follow the code format {code_pattern}",
            param="code",
        )
    if not code.startswith(adcode):
        raise InvalidBody(f"zone code {code} must start with its region adcode {adcode}", param="code")


def _geometry(session: Session, wkb: str, repair: bool) -> tuple[str, dict[str, Any] | None]:
    """Return the geometry to store and the repair report; InvalidGeometry when invalid and not repaired."""
    check = queries.check_geometry(session, wkb)
    if check.valid:
        return wkb, None
    where = f" near {check.lon:.7f},{check.lat:.7f}" if check.lon is not None else ""
    if not repair:
        raise InvalidGeometry(
            f"invalid geometry: {check.reason}{where}; send repair=true to repair it with ST_MakeValid",
            errors=[{"param": "geometry", "message": f"{check.reason}{where}"}],
            extra={"location": [check.lon, check.lat] if check.lon is not None else None},
        )
    fixed = queries.repair_geometry(session, wkb)
    if fixed.area_after_m2 <= 0:
        raise InvalidGeometry(
            f"invalid geometry: {check.reason}{where}; repairing it leaves no area",
            errors=[{"param": "geometry", "message": "repair leaves no polygon area"}],
        )
    report = {
        "reason": fixed.reason,
        "location": [fixed.lon, fixed.lat] if fixed.lon is not None else None,
        "area_before_m2": round(fixed.area_before_m2, 1),
        "area_after_m2": round(fixed.area_after_m2, 1),
        "parts_before": fixed.parts_before,
        "parts_after": fixed.parts_after,
    }
    return fixed.wkb, report


def _references(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    found = queries.resolve_references(session, values["adcode"], values["org_code"])
    errors = []
    if found.region_id is None:
        errors.append({"param": "adcode", "message": f"no region has adcode {values['adcode']}"})
    if values["org_code"] is not None and found.org_id is None:
        errors.append({"param": "org_code", "message": f"no organization has code {values['org_code']}"})
    elif found.org_province not in (None, province_of(values["adcode"])):
        # fk_zones_province_org: a zone and its organization share a province (the shard key).
        errors.append(
            {
                "param": "org_code",
                "message": f"organization {values['org_code']} is in province {found.org_province}, "
                f"zone {values['code']} in {province_of(values['adcode'])}: a zone's organization "
                "must be in the zone's province",
            }
        )
    if errors:
        raise InvalidBody(errors[0]["message"], errors=errors)
    return {**values, "region_id": found.region_id, "org_id": found.org_id}


def _write(session: Session, statement, values: dict[str, Any]) -> int | None:
    try:
        with session.begin_nested():
            return statement(session, values)
    except DBAPIError as err:
        # A rule the checks above did not foresee (a renamed code colliding, a trigger): the database's words.
        diag = getattr(err.orig, "diag", None)
        message = getattr(diag, "message_primary", None) or "the database refused the zone"
        log.warning("zone write refused: %s", err.orig)
        if getattr(err.orig, "pgcode", None) == "23505":
            raise Conflict(message, param="code") from None
        raise InvalidBody(message) from None


def _may_write(scope: Scope, region_id: int | None, org_id: int | None) -> bool:
    """A write needs the zone's region in scope, and its responsible organization too when it has one."""
    return scope.has_region(region_id) and (org_id is None or scope.has_org(org_id))


def _require_writable(session: Session, scope: Scope, code: str) -> None:
    """NotFound if the zone does not exist; Forbidden if it lies outside what the caller may write."""
    owners = queries.zone_owners(session, code)
    if owners is None:
        raise NotFound(f"zone {code} does not exist")
    if not _may_write(scope, *owners):
        raise deny_write(f"zone {code}")


def _require_target(scope: Scope, values: dict[str, Any]) -> None:
    """Forbidden if the written zone would belong to a region or organization outside the caller's scope."""
    if not _may_write(scope, values["region_id"], values["org_id"]):
        raise deny_write(f"zone {values['code']}")


def _state(zone: queries.ZoneRow) -> dict[str, Any]:
    """Return what the audit trail keeps of a zone: every property, unmasked, and its geometry."""
    return {**zone_properties(zone, include_sensitive=True), "geometry": zone.geometry}


def _result(session: Session, scope: Scope, code: str, repaired: dict[str, Any] | None) -> ZoneWrite:
    zone = queries.get_zone(session, code, scope)
    assert zone is not None
    return ZoneWrite(zone, repaired, [r.adcode for r in stale_regions(session)])


def require_feature(body: Any) -> dict[str, Any]:
    """Return body if it is a GeoJSON Feature with a properties object; InvalidBody otherwise."""
    if not isinstance(body, dict) or body.get("type") != "Feature":
        raise InvalidBody("send one GeoJSON Feature (type, geometry, properties)", param="body")
    if not isinstance(body.get("properties"), dict):
        raise InvalidBody("the Feature needs a properties object", param="properties")
    crs = body.get("crs")
    if crs is not None and "4326" not in str(crs) and "CRS84" not in str(crs):
        raise InvalidBody("geometry must be lon/lat (EPSG:4326); use coordsys for GCJ-02/BD-09", param="crs")
    return body


def create_zone(
    session: Session,
    body: dict[str, Any],
    *,
    scope: Scope,
    src_coordsys: str = "wgs84",
    repair: bool = False,
    code_pattern: str = DEFAULT_CODE_PATTERN,
) -> ZoneWrite:
    """Create a zone from a GeoJSON Feature; Conflict if its code exists, InvalidGeometry if invalid."""
    body = require_feature(body)
    if body.get("geometry") is None:
        raise InvalidBody("a new zone needs a geometry", param="geometry")
    values, wkb = _checked(body, src_coordsys, with_geometry=True)
    values = _references(session, values)
    _require_target(scope, values)
    _check_code(values, code_pattern)
    wkb, repaired = _geometry(session, wkb, repair)
    if _write(session, queries.insert_zone, {**values, "wkb": wkb}) is None:
        raise Conflict(f"zone {values['code']} exists already; update it with its version", param="code")
    result = _result(session, scope, values["code"], repaired)
    audit(session, "create", "zone", values["code"], None, _state(result.zone))
    return result


def _require_version(session: Session, code: str, version: int | None) -> None:
    current = queries.zone_version(session, code)
    if current is None:
        raise NotFound(f"zone {code} does not exist")
    if version is None:
        raise InvalidBody(
            f"send the version you edited (properties.version or If-Match); zone {code} is at {current}",
            param="version",
        )
    if version != current:
        raise Conflict(
            f"zone {code} is at version {current}, not {version}: reload it and edit again",
            param="version",
            extra={"current_version": current},
        )


def update_zone(
    session: Session,
    code: str,
    body: dict[str, Any],
    version: int | None,
    *,
    scope: Scope,
    src_coordsys: str = "wgs84",
    repair: bool = False,
    code_pattern: str = DEFAULT_CODE_PATTERN,
) -> ZoneWrite:
    """Update the fields given in a GeoJSON Feature if version is current; Conflict (409) otherwise."""
    body = require_feature(body)
    _require_writable(session, scope, code)
    _require_version(session, code, version)
    current = queries.get_zone(session, code, scope)
    assert current is not None
    merged = {k: getattr(current, k) for k in ZONE_FIELDS} | body["properties"]
    with_geometry = body.get("geometry") is not None
    values, wkb = _checked({**body, "properties": merged}, src_coordsys, with_geometry)
    values = _references(session, values)
    _require_target(scope, values)
    _check_code(values, code_pattern)
    repaired = None
    if with_geometry:
        wkb, repaired = _geometry(session, wkb, repair)
    else:
        wkb = queries.zone_wkb(session, code)
    params = {**values, "new_code": values["code"], "code": code, "version": version, "wkb": wkb}
    if _write(session, queries.update_zone, params) is None:
        # Someone wrote between the check and the update.
        _require_version(session, code, version)
    result = _result(session, scope, values["code"], repaired)
    audit(session, "update", "zone", code, _state(current), _state(result.zone))
    return result


def delete_zone(session: Session, code: str, version: int | None, *, scope: Scope) -> list[str]:
    """Delete the zone if version is current; return the regions whose coverage is now stale."""
    _require_writable(session, scope, code)
    _require_version(session, code, version)
    before = queries.get_zone(session, code, scope)
    assert before is not None
    if queries.delete_zone(session, code, version or 0) is None:
        _require_version(session, code, version)
    audit(session, "delete", "zone", code, _state(before), None)
    return [r.adcode for r in stale_regions(session)]


def zone_properties(zone: queries.ZoneRow, include_sensitive: bool) -> dict[str, Any]:
    """Return a zone's GeoJSON properties; the grid worker's name and phone are masked unless asked for."""
    props = {
        "code": zone.code,
        "name": zone.name,
        "level": zone.level,
        "adcode": zone.adcode,
        "region_name": zone.region_name,
        "org_code": zone.org_code,
        "org_name": zone.org_name,
        "grid_worker": zone.grid_worker,
        "grid_worker_phone": zone.grid_worker_phone,
        "version": zone.version,
        "area_m2": round(zone.area_m2, 1),
    }
    if not include_sensitive:
        props["grid_worker"] = _mask_name(zone.grid_worker)
        props["grid_worker_phone"] = _mask_phone(zone.grid_worker_phone)
    return props


def _mask_name(value: str | None) -> str | None:
    return value[0] + "*" * max(len(value) - 1, 1) if value else value


def _mask_phone(value: str | None) -> str | None:
    return "*" * (len(value) - 4) + value[-4:] if value and len(value) > 4 else value
