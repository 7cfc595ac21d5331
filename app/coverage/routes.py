"""Coverage API: reports, stored snapshots and history, per-child shares, GeoJSON layers, the ledger."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, request

from ..auth import require_admin
from ..db import get_session
from ..errors import InvalidParameter
from ..geo import parse_choice, parse_float, parse_int
from ..vocab import CENTRE_LEVELS
from . import queries, service
from .service import KINDS, CoverageParams

bp = Blueprint("coverage", __name__, url_prefix="/api/v1/coverage")


@bp.before_request
def _admins_only() -> None:
    # Coverage results are for organization admins of the region and above; roles will refine this.
    require_admin()


def _adcode(value: str | None, param: str = "adcode") -> str | None:
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit() and len(value) in (6, 9, 12)):
        raise InvalidParameter(f"{param} must be 6, 9 or 12 digits, got {value[:20]!r}", param=param)
    return value


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
    adcode = _adcode(adcode)
    findings = parse_choice(request.args, "findings", ("true", "false"), default="true") == "true"
    session = get_session()
    body = service.coverage_report(session, adcode, _params(), with_findings=findings).as_dict(findings)
    session.commit()  # keeps the recomputed cells
    return body


@bp.post("/<adcode>/snapshots")
def run(adcode: str):
    adcode = _adcode(adcode)
    session = get_session()
    body = service.run_snapshot(session, adcode, _params()).as_dict()
    session.commit()
    return body, 201


@bp.get("/<adcode>/snapshots")
def snapshots(adcode: str):
    adcode = _adcode(adcode)
    return {"region": adcode, "snapshots": service.history(get_session(), adcode)}


@bp.get("/<adcode>/history")
def ratio_history(adcode: str):
    adcode = _adcode(adcode)
    points = service.history(get_session(), adcode)
    return {
        "region": adcode,
        "history": [
            {k: p[k] for k in ("snapshot_id", "created_at", "covered_ratio", "reach_ratio")} for p in points
        ],
    }


@bp.get("/snapshots/<int:snapshot_id>")
def snapshot(snapshot_id: int):
    return service.snapshot_report(get_session(), snapshot_id)


@bp.get("/<adcode>/children")
def children(adcode: str):
    adcode = _adcode(adcode)
    session = get_session()
    rows = service.child_coverage(session, adcode)
    session.commit()
    return {"region": adcode, "children": [asdict(c) for c in rows]}


@bp.get("/<adcode>/layers/<kind>")
def layer(adcode: str, kind: str):
    adcode = _adcode(adcode)
    kind = _kind(kind)
    within = _adcode(request.args.get("region"), "region")
    session = get_session()
    body = service.findings_geojson(session, adcode, kind, _params(), within=within, snapshot_id=_snapshot())
    session.commit()
    return Response(service.dumps(body), mimetype="application/geo+json")


@bp.get("/<adcode>/findings")
def findings(adcode: str):
    adcode = _adcode(adcode)
    kind = _kind(request.args.get("kind"))
    within = _adcode(request.args.get("region"), "region")
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
    return {"stale": [asdict(r) for r in queries.stale_regions(get_session())]}


@bp.post("/refresh")
def refresh():
    session = get_session()
    done = service.refresh_stale(session)
    session.commit()
    return {"refreshed": {adcode: asdict(stats) for adcode, stats in done.items()}}
