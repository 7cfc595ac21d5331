"""Organization writes: field checks shared with the importer, scope before and after, cycle-free moves,
optimistic version checks, refusal to delete what is still referred to, and an audit entry per write.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..auth import Scope, audit, deny_write
from ..errors import Conflict, InvalidBody, NotFound
from ..transfer.layers import get_layer
from ..transfer.readers import RawRow
from ..transfer.validate import check_rows
from . import queries

log = logging.getLogger(__name__)

ORG_FIELDS = (
    "code",
    "name",
    "kind",
    "parent_code",
    "adcode",
    "member_total",
    "member_counts",
    "contact_person",
    "contact_phone",
    "active",
)
# Fields our own answers carry that may come back in an edit; they are never written.
_READ_ONLY = {
    "id",
    "version",
    "kind_label",
    "parent",
    "parent_name",
    "region_name",
    "region_path",
    "children_count",
    "zones_count",
    "updated_at",
    "depth",
}


@dataclass(frozen=True)
class OrgWrite:
    """An organization as stored after a write."""

    org: queries.OrgRow


def _checked(
    session: Session, feature: dict[str, Any], src_coordsys: str
) -> tuple[dict[str, Any], str | None]:
    """Return the clean fields and the point as WKB hex (EPSG:4326, or None) of a Feature; 400 if bad."""
    props = {k: v for k, v in feature["properties"].items() if k not in _READ_ONLY}
    layer = get_layer("organizations")
    geometry, error = None, None
    if feature.get("geometry") is None:
        layer = dataclasses.replace(layer, geometry=None)
    else:
        try:
            geometry = shape(feature["geometry"])
        except Exception as err:  # shapely raises many types for malformed GeoJSON
            error = f"unreadable geometry: {str(err)[:120] or type(err).__name__}"
    checked = check_rows(layer, [RawRow("body", props, geometry, error)], src_coordsys)
    if checked.errors:
        errors = [{"param": e["field"] or "body", "message": e["message"]} for e in checked.errors]
        raise InvalidBody(f"the organization has {len(errors)} problem(s)", errors=errors)
    row = checked.rows[0]
    return {k: row.get(k) for k in ORG_FIELDS}, row.get("wkb")


def _parent_id_as_code(session: Session, props: dict[str, Any]) -> dict[str, Any]:
    """Return props with parent_id replaced by the parent's code, the reference the importer also takes."""
    if "parent_id" not in props:
        return props
    props = dict(props)
    raw = props.pop("parent_id")
    if "parent_code" in props:
        return props
    if raw is None:
        props["parent_code"] = None
        return props
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**31:
        raise InvalidBody("parent_id must be an organization id", param="parent_id")
    code = queries.org_code(session, raw)
    if code is None:
        raise InvalidBody(f"no organization has id {raw}", param="parent_id")
    props["parent_code"] = code
    return props


def _references(session: Session, values: dict[str, Any], wkb: str | None) -> dict[str, Any]:
    """Return values with region and parent ids resolved; region: the point's, else the parent's."""
    region_id, parent_id = queries.resolve_references(session, values["adcode"], values["parent_code"])
    errors = []
    if values["adcode"] is not None and region_id is None:
        errors.append({"param": "adcode", "message": f"no region has adcode {values['adcode']}"})
    if values["parent_code"] is not None and parent_id is None:
        errors.append(
            {"param": "parent_code", "message": f"no organization has code {values['parent_code']}"}
        )
    if errors:
        raise InvalidBody(errors[0]["message"], errors=errors)
    if region_id is None and wkb is not None:
        region_id = queries.region_at(session, wkb)
    if region_id is None and parent_id is not None:
        region_id = queries.parent_region(session, parent_id)
    return {**values, "region_id": region_id, "parent_id": parent_id}


def _require_in_scope(scope: Scope, org_id: int, owners: queries.Owners) -> None:
    """Forbidden unless the organization lies in the caller's subtree and, when it has one, region."""
    if not scope.has_org(org_id) or (owners.region_id is not None and not scope.has_region(owners.region_id)):
        raise deny_write(f"organization {org_id}")


def _require_target(scope: Scope, values: dict[str, Any], what: str, *, parent_changed: bool) -> None:
    """Forbidden if the written organization would hang or lie outside the caller's subtree and region."""
    if parent_changed and not scope.has_org(values["parent_id"]):
        raise deny_write(what)
    if values["region_id"] is not None and not scope.has_region(values["region_id"]):
        raise deny_write(what)


def _require_version(session: Session, org_id: int, version: int | None) -> queries.Owners:
    found = queries.owners(session, org_id)
    if found is None:
        raise NotFound(f"organization {org_id} does not exist")
    if version is None:
        raise InvalidBody(
            f"send the version you edited (version, If-Match or ?version=); organization {org_id} is at "
            f"{found.version}",
            param="version",
        )
    if version != found.version:
        raise Conflict(
            f"organization {org_id} is at version {found.version}, not {version}: reload it and edit again",
            param="version",
            extra={"current_version": found.version},
        )
    return found


# The province rules of migration 0009_province_shard_key, in the words of the field that breaks them.
_PROVINCE_RULES = {
    "fk_organizations_province_parent": (
        "parent_code",
        "an organization lies in its parent's province, and one with child organizations cannot change "
        "province: choose a parent or region in the same province, or move the children first",
    ),
    "fk_zones_province_org": (
        "adcode",
        "the organization's grid zones lie in its province: reassign them before moving it to another",
    ),
}


def _write(session: Session, statement, values: dict[str, Any]) -> int | None:
    try:
        with session.begin_nested():
            return statement(session, values)
    except DBAPIError as err:
        # A rule the checks above did not foresee (a renamed code colliding): the database's words.
        diag = getattr(err.orig, "diag", None)
        message = getattr(diag, "message_primary", None) or "the database refused the organization"
        log.warning("organization write refused: %s", err.orig)
        if getattr(err.orig, "pgcode", None) == "23505":
            raise Conflict(message, param="code") from None
        refused = _PROVINCE_RULES.get(getattr(diag, "constraint_name", None))
        if refused is not None:
            raise Conflict(refused[1], param=refused[0]) from None
        raise InvalidBody(message) from None


def _params(values: dict[str, Any], wkb: str | None) -> dict[str, Any]:
    return {**values, "member_counts": json.dumps(values["member_counts"] or {}), "wkb": wkb}


def org_state(org: queries.OrgRow) -> dict[str, Any]:
    """Return what the audit trail keeps of an organization: every field, unmasked, and its point."""
    state = dataclasses.asdict(org)
    state.pop("depth", None)
    return state


def _stored(session: Session, org_id: int) -> queries.OrgRow:
    org = queries.get_org(session, org_id, Scope(None, "super_admin"))
    assert org is not None
    return org


def create_org(session: Session, feature: dict[str, Any], *, scope: Scope, src_coordsys: str) -> OrgWrite:
    """Create an organization from a Feature; Conflict if its code exists, Forbidden outside the scope."""
    feature = {**feature, "properties": _parent_id_as_code(session, feature["properties"])}
    values, wkb = _checked(session, feature, src_coordsys)
    values = _references(session, values, wkb)
    _require_target(scope, values, f"organization {values['code']}", parent_changed=True)
    org_id = _write(session, queries.insert_org, _params(values, wkb))
    if org_id is None:
        raise Conflict(f"organization {values['code']} exists already", param="code")
    org = _stored(session, org_id)
    audit(session, "create", "organization", org_id, None, org_state(org))
    return OrgWrite(org)


def update_org(
    session: Session,
    org_id: int,
    patch: dict[str, Any],
    version: int | None,
    *,
    scope: Scope,
    src_coordsys: str,
) -> OrgWrite:
    """Change the fields given in patch (a Feature) if version is current; 409 if stale or a cycle."""
    found = queries.owners(session, org_id)
    if found is None:
        raise NotFound(f"organization {org_id} does not exist")
    _require_in_scope(scope, org_id, found)
    _require_version(session, org_id, version)
    before = _stored(session, org_id)
    patch = {**patch, "properties": _parent_id_as_code(session, patch["properties"])}
    current = {k: getattr(before, k) for k in ORG_FIELDS}
    geometry = patch["geometry"] if patch.get("geometry") is not None else before.geometry
    if patch.get("geometry") is not None or before.geometry is None:
        merged = {"type": "Feature", "geometry": geometry, "properties": current | patch["properties"]}
        values, wkb = _checked(session, merged, src_coordsys)
    else:
        # The stored point is WGS84 already: check the fields alone and keep the point as it is.
        values, _ = _checked(
            session, {"geometry": None, "properties": current | patch["properties"]}, "wgs84"
        )
        wkb = queries.org_wkb(session, org_id)
    values = _references(session, values, wkb)
    parent_changed = values["parent_id"] != before.parent_id
    _require_target(scope, values, f"organization {org_id}", parent_changed=parent_changed)
    if (
        parent_changed
        and values["parent_id"] is not None
        and queries.would_cycle(session, org_id, values["parent_id"])
    ):
        raise Conflict(
            f"organization {values['parent_code']} is {before.code} itself or lies below it; "
            "an organization cannot be its own ancestor",
            param="parent_code",
        )
    params = {**_params(values, wkb), "id": org_id, "version": version}
    if _write(session, queries.update_org, params) is None:
        # Someone wrote between the check and the update.
        _require_version(session, org_id, version)
    org = _stored(session, org_id)
    audit(session, "update", "organization", org_id, org_state(before), org_state(org))
    return OrgWrite(org)


def delete_org(session: Session, org_id: int, version: int | None, *, scope: Scope) -> None:
    """Delete the organization if version is current; 409 while organizations, zones or accounts use it."""
    found = queries.owners(session, org_id)
    if found is None:
        raise NotFound(f"organization {org_id} does not exist")
    _require_in_scope(scope, org_id, found)
    _require_version(session, org_id, version)
    left = queries.dependants(session, org_id)
    if left.children or left.zones or left.accounts:
        reasons = [
            f"{n} {what}"
            for n, what in (
                (left.children, "child organization(s)"),
                (left.zones, "grid zone(s)"),
                (left.accounts, "account(s)"),
            )
            if n
        ]
        raise Conflict(
            f"organization {org_id} still has {', '.join(reasons)}: move or delete them first",
            extra=dataclasses.asdict(left),
        )
    before = _stored(session, org_id)
    if queries.delete_org(session, org_id, version or 0) is None:
        _require_version(session, org_id, version)
    audit(session, "delete", "organization", org_id, org_state(before), None)
