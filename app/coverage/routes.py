"""Coverage API: reports, stored snapshots and history, per-child shares, GeoJSON layers, the ledger."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, request

from ..auth import audit, current_scope, deny_read, deny_write, require_admin
from ..db import get_session
from ..geo import parse_adcode, parse_choice, parse_float, parse_int
from ..vocab import CENTRE_LEVELS
from . import queries, service
from .service import KINDS, CoverageParams

bp = Blueprint("coverage", __name__, url_prefix="/api/v1/coverage")


@bp.before_request
def _admins_only() -> None:
    # Coverage results are for organization admins of the region and above; roles will refine this.
    require_admin()


def _scoped(adcode: str | None, write: bool = False) -> str | None:
    """Return adcode if its region is in the caller's scope; 404 (a read) or 403 (a write) otherwise."""
    if adcode is None or current_scope().all:
        return adcode
    if not current_scope().has_region(queries.get_region_ref(get_session(), adcode).id):
        raise (deny_write if write else deny_read)(f"coverage of region {adcode}")
    return adcode


def _stale_in_scope() -> list[queries.StaleRegion]:
    session, scope = get_session(), current_scope()
    stale = queries.stale_regions(session)
    if scope.all:
        return stale
    return [r for r in stale if scope.has_region(queries.get_region_ref(session, r.adcode).id)]


def _params() -> CoverageParams:
    tolerance = parse_float(request.args, "tolerance_m2", default=service.DEFAULT_TOLERANCE_M2, lo=0, hi=1e8)
    reach = {}
    for level in CENTRE_LEVELS:
        name = f"reach_{level}_m"
        if request.args.get(name):
            reach[level] = parse_float(request.args, name, lo=1, hi=50_000)
    return CoverageParams(tolerance, reach)


def _kind(value: str | None, param: str = "kind") -> str | None:
    if value in (None, "", "all"):
        return None
    return parse_choice({param: value}, param, KINDS)


def _snapshot() -> int | None:
    if not request.args.get("snapshot"):
        return None
    return parse_int(request.args, "snapshot", lo=1, hi=2**31 - 1)


@bp.get("/<adcode>")
def report(adcode: str):
    adcode = _scoped(parse_adcode(adcode))
    findings = parse_choice(request.args, "findings", ("true", "false"), default="true") == "true"
    session = get_session()
    body = service.coverage_report(session, adcode, _params(), with_findings=findings).as_dict(findings)
    session.commit()  # keeps the recomputed cells
    return body


@bp.post("/<adcode>/snapshots")
def run(adcode: str):
    adcode = _scoped(parse_adcode(adcode), write=True)
    session = get_session()
    body = service.run_snapshot(session, adcode, _params()).as_dict()
    snapshot_id = (body["snapshot"] or {}).get("id")
    after = {k: body[k] for k in ("region", "snapshot", "params", "figures", "counts")}
    audit(session, "create", "coverage_snapshot", snapshot_id, None, after)
    session.commit()
    return body, 201


@bp.get("/<adcode>/snapshots")
def snapshots(adcode: str):
    adcode = _scoped(parse_adcode(adcode))
    return {"region": adcode, "snapshots": service.history(get_session(), adcode)}


@bp.get("/<adcode>/history")
def ratio_history(adcode: str):
    adcode = _scoped(parse_adcode(adcode))
    points = service.history(get_session(), adcode)
    return {
        "region": adcode,
        "history": [
            {k: p[k] for k in ("snapshot_id", "created_at", "covered_ratio", "reach_ratio")} for p in points
        ],
    }


@bp.get("/snapshots/<int:snapshot_id>")
def snapshot(snapshot_id: int):
    _scoped(queries.get_snapshot(get_session(), snapshot_id).adcode)
    return service.snapshot_report(get_session(), snapshot_id)


@bp.get("/<adcode>/children")
def children(adcode: str):
    adcode = _scoped(parse_adcode(adcode))
    session = get_session()
    rows = service.child_coverage(session, adcode)
    session.commit()
    return {"region": adcode, "children": [asdict(c) for c in rows]}


@bp.get("/<adcode>/layers/<kind>")
def layer(adcode: str, kind: str):
    adcode = _scoped(parse_adcode(adcode))
    kind = _kind(kind)
    within = _scoped(parse_adcode(request.args.get("region"), "region"))
    session = get_session()
    body = service.findings_geojson(session, adcode, kind, _params(), within=within, snapshot_id=_snapshot())
    session.commit()
    return Response(service.dumps(body), mimetype="application/geo+json")


@bp.get("/<adcode>/findings")
def findings(adcode: str):
    adcode = _scoped(parse_adcode(adcode))
    kind = _kind(request.args.get("kind"))
    within = _scoped(parse_adcode(request.args.get("region"), "region"))
    fmt = parse_choice(request.args, "format", ("json", "csv"), default="json")
    session = get_session()
    if fmt == "csv":
        text = service.findings_csv(session, adcode, kind, _params(), within=within, snapshot_id=_snapshot())
        session.commit()
        return Response(
            text,
            mimetype="text/csv",
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="hongtu-coverage-{adcode}.csv"',
            },
        )
    rows = service.findings_list(session, adcode, kind, _params(), within=within, snapshot_id=_snapshot())
    session.commit()
    return Response(service.dumps({"region": adcode, "findings": rows}), mimetype="application/json")


@bp.get("/stale")
def stale():
    return {"stale": [asdict(r) for r in _stale_in_scope()]}


@bp.post("/refresh")
def refresh():
    session = get_session()
    if current_scope().all:
        done = service.refresh_stale(session)
    else:
        # An organization admin refreshes only its own regions; locks first, as refresh_stale takes them.
        refs = [queries.get_region_ref(session, r.adcode) for r in _stale_in_scope()]
        queries.lock_regions(session, [r.adcode for r in refs])
        done = {r.adcode: service.refresh_region(session, r) for r in refs}
    audit(session, "refresh", "coverage", None, details={"regions": sorted(done)})
    session.commit()
    return {"refreshed": {adcode: asdict(stats) for adcode, stats in done.items()}}
