"""Coverage analysis of a region: refresh the stored pieces that went stale, then gather the findings.

The function API other domains (maps dashboard, benchmarks) call:
coverage_report, run_snapshot, findings_geojson, findings_csv, child_coverage, history,
refresh_region, refresh_stale, mark_stale_for_geometry, naive_blind_zones, naive_overlaps.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from ..errors import InvalidParameter
from ..vocab import CENTRE_DEFAULT_REACH_M, CENTRE_LEVELS
from . import queries
from .queries import ChildCoverage, Figures, Finding, RegionRef, naive_blind_zones, naive_overlaps

log = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "CoverageParams",
    "CoverageReport",
    "child_coverage",
    "coverage_report",
    "findings_csv",
    "findings_geojson",
    "findings_list",
    "history",
    "mark_stale_for_geometry",
    "naive_blind_zones",
    "naive_overlaps",
    "refresh_region",
    "refresh_stale",
    "run_snapshot",
]

KINDS = {
    "blind": "党建盲区",
    "overlap": "网格重叠",
    "unassigned": "网格未落实责任组织",
    "inactive_org": "责任组织已停用",
    "org_outside_region": "责任组织不在网格所属区域",
    "spill": "网格超出所属区域",
    "reach_gap": "党群服务阵地辐射盲区",
}
DEFAULT_TOLERANCE_M2 = 50.0


@dataclass(frozen=True)
class CoverageParams:
    """Sliver tolerance in m² and per-level reach overrides in metres (GB 50180-2018 defaults otherwise)."""

    tolerance_m2: float = DEFAULT_TOLERANCE_M2
    reach_m: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.reach_m) - set(CENTRE_LEVELS)
        if unknown:
            raise InvalidParameter(
                f"reach levels must be among {', '.join(CENTRE_LEVELS)}; got {', '.join(sorted(unknown))}",
                param="reach_m",
            )

    @property
    def default_reach(self) -> bool:
        return not self.reach_m

    def as_json(self) -> dict[str, Any]:
        """Return the parameters as stored with a snapshot: tolerance and the effective reach per level."""
        return {
            "tolerance_m2": self.tolerance_m2,
            "reach_m": {level: self.reach_m.get(level, m) for level, m in CENTRE_DEFAULT_REACH_M.items()},
            "reach_overridden": sorted(self.reach_m),
        }


@dataclass(frozen=True)
class RefreshStats:
    """What a refresh recomputed: cells cut, blind and reach cells recomputed, zones recomputed."""

    cells_built: int
    blind_cells: int
    reach_cells: int
    zones: int
    duration_ms: float


@dataclass(frozen=True)
class CoverageReport:
    """A region's coverage: figures, per-child shares, finding counts and the findings (no geometry)."""

    region: RegionRef
    params: CoverageParams
    figures: Figures
    counts: dict[str, Any]
    children: list[ChildCoverage]
    findings: list[Finding]
    refreshed: RefreshStats
    duration_ms: float
    snapshot_id: int | None = None
    created_at: datetime | None = None

    def as_dict(self, include_findings: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "region": {"adcode": self.region.adcode, "name": self.region.name, "level": self.region.level},
            "snapshot": {"id": self.snapshot_id, "created_at": self.created_at} if self.snapshot_id else None,
            "params": self.params.as_json(),
            "figures": asdict(self.figures),
            "counts": self.counts,
            "children": [asdict(c) for c in self.children],
            "refreshed": asdict(self.refreshed),
            "duration_ms": round(self.duration_ms, 1),
        }
        if include_findings:
            body["findings"] = [finding_dict(f) for f in self.findings]
        return body


def finding_dict(finding: Finding) -> dict[str, Any]:
    """Return a finding as JSON-ready properties, with its Chinese kind label."""
    return {
        "kind": finding.kind,
        "kind_label": KINDS.get(finding.kind, finding.kind),
        "region": {"adcode": finding.region_adcode, "name": finding.region_name},
        "area_m2": round(finding.area_m2, 1) if finding.area_m2 is not None else None,
        "centroid": list(finding.centroid) if finding.centroid else None,
        "zone_ids": finding.zone_ids,
        **finding.detail,
    }


# --- refresh ----------------------------------------------------------------------------------------


def refresh_region(
    session: Session,
    region: RegionRef,
    *,
    rebuild: bool = False,
    zones_ready: Callable[[], None] | None = None,
) -> RefreshStats:
    """Bring the region's stored pieces up to date: cut cells if needed, recompute only what is stale.

    A large refresh (the first analysis of a region, or one after a big import) is shared among
    coverage_workers() connections side by side; see _side_by_side.

    zones_ready, when given, is called on the session once every zone's facts and overlap pairs are
    current. In a refresh shared side by side that is as soon as the shares have stored them, while the
    cells are still being computed, so the session's own connection works instead of waiting; it is
    called again at the end if the session then recomputed zones that an edit marked meanwhile.
    """
    started = time.perf_counter()
    queries.lock_regions(session, [region.adcode])
    build = rebuild or not queries.has_cells(session, region)
    queries.lock_zone_facts_if_waiting(session, region, full=build)
    built = zones = blind = reach = 0
    engine = _side_by_side_engine(session, region, build)
    if engine is not None:
        built, zones, blind, reach = _side_by_side(engine, region, build, coverage_workers(), zones_ready)
    elif build:
        built = queries.build_cells(session, region, queries.cell_size_deg(session, region))
    # Whatever is still stale (all of it on one connection; after the side-by-side work, only what an
    # edit committed meanwhile marked) is computed in the session's own transaction. Cells before zone
    # facts and their queue: the order in which an edit's trigger takes them, so the two never deadlock.
    blind += queries.refresh_blind(session, region)
    reach += queries.refresh_reach(session, region, _defaults())
    late_zones = queries.refresh_zone_facts(session, region, full=build and engine is None)
    late_pairs = queries.refresh_overlap_pairs(session)
    zones += late_zones
    if build and engine is None:
        # A first analysis on this one connection: its own rows count, and the statistics lock is held
        # until the report commits (it stops only another analysis of these tables meanwhile).
        for tables in ("zones", "cells"):
            queries.analyze_refreshed(session, tables)
    if zones_ready is not None and (engine is None or late_zones or late_pairs):
        zones_ready()
    stats = RefreshStats(built, blind, reach, zones, (time.perf_counter() - started) * 1000)
    log.info("coverage refresh of %s: %s", region.adcode, stats)
    return stats


# Below this many stale cells (and with the cells already cut) a refresh stays on one connection.
SIDE_BY_SIDE_MIN_CELLS = 200


def coverage_workers() -> int:
    """Connections a large refresh is shared among: HONGTU_COVERAGE_WORKERS, else the CPU count."""
    return max(1, int(os.environ.get("HONGTU_COVERAGE_WORKERS") or os.cpu_count() or 1))


def _side_by_side_engine(session: Session, region: RegionRef, build: bool) -> Engine | None:
    """Return the engine to share the refresh over, or None when it must stay in the session.

    Other connections see only committed rows, so the work is shared only when the session runs on an
    engine (not on a caller's connection) and its transaction has written nothing yet.
    """
    bind = session.get_bind()
    if coverage_workers() < 2 or not isinstance(bind, Engine):
        return None
    if not build and queries.stale_cells(session, region) < SIDE_BY_SIDE_MIN_CELLS:
        return None
    return None if queries.has_written(session) else _share_engine(bind.url)


@lru_cache(maxsize=4)
def _share_engine(url: URL) -> Engine:
    """Connections for the shares, outside the app's pool.

    Requests that wait for a region's refresh lock hold pooled connections; shares drawing from the same
    pool could then wait for them while they wait for the lock. A share's connection is opened for the
    seconds it works, so the cost of opening it does not matter.
    """
    return create_engine(url, poolclass=NullPool)


def _side_by_side(
    engine: Engine,
    region: RegionRef,
    build: bool,
    workers: int,
    zones_ready: Callable[[], None] | None = None,
) -> tuple[int, int, int, int]:
    """Cut the cells, compute zone facts, overlap pairs, blind parts and reach gaps on `workers` connections.

    Each share commits on its own connection. That is safe because what it stores is a cache that is
    either right or marked stale: a share that fails leaves its cells and zones stale for the next
    refresh, and an edit committed meanwhile marks what it touches stale again (triggers). The caller
    holds the region's refresh lock throughout, so no other refresh of the region runs meanwhile.
    zones_ready (refresh_region's) runs on the caller's own connection once the pairs are stored.
    Return (cells built, zones, blind cells, reach cells).
    """
    parts = 2 * workers  # smaller shares even out the uneven ones
    # One connection per thread for all its shares, held across their commits (a session on the
    # engine would hand it back to the NullPool, which closes it): a new backend costs a login,
    # loading PostGIS and cold caches, about 35 ms before its first statement.
    local = threading.local()
    opened: list[Connection] = []

    def committed(work: Callable[[Session], int]) -> int:
        if not hasattr(local, "session"):
            connection = engine.connect()
            opened.append(connection)
            local.session = Session(bind=connection)
        try:
            done = work(local.session)
            local.session.commit()
        except BaseException:
            local.session.rollback()
            raise
        return done

    def shares(n: int, work: Callable[[Session, queries.Share], int]) -> list[Future[int]]:
        return [pool.submit(committed, partial(work, share=queries.Share(n, k))) for k in range(n)]

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coverage")
    try:
        # Zone facts split evenly by id, and each share first lists its zones and cuts their regions'
        # outlines: one share per connection. Cutting the cells comes after them in the queue, so it
        # runs beside the overlap pairs, which wait for every zone's facts, and no connection waits idle.
        facts = shares(workers, partial(queries.refresh_zone_facts, region=region, full=build))
        cut = pool.submit(committed, partial(_build_cells, region=region)) if build else None
        zones = sum(f.result() for f in facts)  # every zone has its facts from here on
        pairs = shares(parts, queries.refresh_overlap_pairs)
        # The zone tables' statistics, for the findings that read them (queries.ANALYZE_REFRESHED says
        # why): taken beside the last pair share, whose few pairs do not change the row counts much.
        zones_analysed = pool.submit(committed, partial(_analyze, tables="zones"))
        built = cut.result() if cut is not None else 0  # the cells exist from here on
        # Each kind is merged, and its pieces given their suggested owners, as soon as its cells are
        # done, instead of one after the other in the report's transaction. Reach comes first: its merge
        # is the longer one (its gaps cross most cell edges), and runs beside the blind shares.
        # Reach shares are strips of longitude (queries.Strip): each builds only the discs around its own.
        reach = shares(parts, partial(queries.refresh_reach, region=region, defaults=_defaults()))
        reach_merged = pool.submit(
            committed, partial(_merge_kept, region=region, kind="reach_gap", after=reach)
        )
        blind = shares(parts, partial(queries.refresh_blind, region=region))

        # The pieces' suggested owners, each kind shared among the connections once its merge is committed.
        def details(kind: str, merged: Future[int]) -> list[Future[int]]:
            return [
                pool.submit(
                    committed,
                    partial(
                        _fill_details, region=region, kind=kind, after=merged, share=queries.Share(workers, k)
                    ),
                )
                for k in range(workers)
            ]

        # The reach pieces' owners are queued before the blind merge, which waits for the last blind share:
        # a connection done with its blind shares gives owners to reach pieces instead of waiting idle.
        reach_details = details("reach_gap", reach_merged)
        blind_merged = pool.submit(committed, partial(_merge_kept, region=region, kind="blind", after=blind))
        blind_details = details("blind", blind_merged)
        if zones_ready is not None:
            # The session's own connection takes on the zone findings while the shares work on the cells.
            for future in (*pairs, zones_analysed):
                future.result()
            zones_ready()
        for future in (*pairs, zones_analysed, *reach_details, *blind_details):
            future.result()
        # The cell tables get fresh planner statistics before the report reads them.
        pool.submit(committed, partial(_analyze, tables="cells")).result()
        return built, zones, sum(f.result() for f in blind), sum(f.result() for f in reach)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # a failed share: the others not started are dropped
        for connection in opened:
            connection.close()


def _merge_kept(session: Session, region: RegionRef, kind: str, after: list[Future[int]]) -> int:
    """Once the after futures are done, merge the kind's cell parts into the kept pieces.

    The futures were submitted before this task, so they are running or done: it never waits for work
    queued behind it.
    """
    for future in after:
        future.result()
    queries.prepare_found(session)  # the run's temporary tables, which the merge goes through
    queries.ensure_merged(session, region, kind)
    return 0


def _fill_details(
    session: Session, region: RegionRef, kind: str, after: Future[int], share: queries.Share
) -> int:
    """Once the kind's merge is committed, give a share of its pieces their suggested owners.

    Details are filled for the pieces above the default tolerance, what a report asks for unless told
    otherwise.
    """
    after.result()
    queries.fill_piece_details(session, region, kind, DEFAULT_TOLERANCE_M2, share=share)
    return 0


def _analyze(session: Session, tables: str) -> int:
    queries.analyze_refreshed(session, tables)
    return 0


def _build_cells(session: Session, region: RegionRef) -> int:
    return queries.build_cells(session, region, queries.cell_size_deg(session, region))


def refresh_stale(session: Session) -> dict[str, RefreshStats]:
    """Recompute the stale cells of every analysed region; return what each refresh did by adcode."""
    regions = queries.stale_regions(session)
    # All locks first, in order: taking them one by one between refreshes could deadlock with a report.
    queries.lock_regions(session, [r.adcode for r in regions])
    return {r.adcode: refresh_region(session, queries.get_region_ref(session, r.adcode)) for r in regions}


def mark_stale_for_geometry(session: Session, geom_ewkt: str, reach_m: float | None = None) -> None:
    """Mark the cells near geom (EWKT, EPSG:4326) stale: blind parts, or reach gaps within reach_m metres.

    Zone and service-centre writes are marked by triggers in the same transaction already; call this
    after writes that bypass those tables' rows (a bulk load with triggers disabled, say).
    """
    if reach_m is None:
        queries.mark_blind_stale(session, geom_ewkt)
    else:
        queries.mark_reach_stale(session, geom_ewkt, reach_m)


def _defaults() -> dict[str, float]:
    return {level: float(m) for level, m in CENTRE_DEFAULT_REACH_M.items()}


# --- analysis ---------------------------------------------------------------------------------------


def _analyse(
    session: Session, adcode: str, params: CoverageParams, kinds: tuple[str, ...] = tuple(KINDS)
) -> tuple[RegionRef, RefreshStats, Figures, dict[str, Any], float]:
    """Refresh the region and fill the run's temporary findings table with the requested kinds."""
    started = time.perf_counter()
    region = queries.get_region_ref(session, adcode)

    def zones_ready() -> None:
        # The run's temporary tables, and the findings that need only zone facts and overlap pairs.
        queries.prepare_scope(session, region.id)
        queries.prepare_found(session)
        if "overlap" in kinds:
            queries.add_overlap_findings(session, params.tolerance_m2)
        if {"unassigned", "inactive_org", "org_outside_region", "spill"} & set(kinds):
            queries.add_zone_findings(session, region, params.tolerance_m2)

    refreshed = refresh_region(session, region, zones_ready=zones_ready)
    counts: dict[str, Any] = {}
    if "blind" in kinds:
        queries.ensure_merged(session, region, "blind")
        n, area = queries.add_area_findings(session, region, "blind", params.tolerance_m2)
        counts["blind_slivers"] = {"count": n, "area_m2": round(area, 3)}
    live_reach = not params.default_reach
    if "reach_gap" in kinds:
        if live_reach:
            # A what-if reach: gaps and their merge live only in this run's temporary tables.
            queries.prepare_discs(session, region, params.reach_m, _defaults(), only_stale=False)
            queries.live_reach_gaps(session, region)
            queries.merge_pieces(session, region, "reach_gap", "reach_gap_live", into="run")
        else:
            queries.ensure_merged(session, region, "reach_gap")
        merged = "run" if live_reach else "kept"
        n, area = queries.add_area_findings(session, region, "reach_gap", params.tolerance_m2, merged)
        counts["reach_gap_slivers"] = {"count": n, "area_m2": round(area, 3)}
    found = queries.found_counts(session)
    counts = {kind: found.get(kind, 0) for kind in KINDS if kind in kinds} | counts
    figures = queries.figures(session, region, live_reach=live_reach and "reach_gap" in kinds)
    return region, refreshed, figures, counts, started


def coverage_report(
    session: Session, adcode: str, params: CoverageParams | None = None, *, with_findings: bool = True
) -> CoverageReport:
    """Return the coverage of region adcode computed now (stale pieces recomputed, nothing stored)."""
    params = params or CoverageParams()
    region, refreshed, figures, counts, started = _analyse(session, adcode, params)
    findings = [f for f, _ in queries.read_findings(session)] if with_findings else []
    children = queries.child_coverage(session, region)
    return CoverageReport(
        region,
        params,
        figures,
        counts,
        children,
        findings,
        refreshed,
        (time.perf_counter() - started) * 1000,
    )


def run_snapshot(session: Session, adcode: str, params: CoverageParams | None = None) -> CoverageReport:
    """Analyse region adcode, store the result as a snapshot with its findings and return the report."""
    params = params or CoverageParams()
    report = coverage_report(session, adcode, params)
    snapshot_id = queries.store_snapshot(
        session,
        report.region,
        {
            "params": params.as_json(),
            "region_area_m2": report.figures.region_area_m2,
            "blind_area_m2": report.figures.blind_area_m2,
            "covered_ratio": report.figures.covered_ratio,
            "reach_ratio": report.figures.reach_ratio,
            "counts": report.counts,
            "children": [asdict(c) for c in report.children],
            "duration_ms": report.duration_ms,
        },
    )
    stored = queries.get_snapshot(session, snapshot_id)
    log.info("coverage snapshot %s of %s: ratio %.4f", snapshot_id, adcode, stored.covered_ratio)
    return CoverageReport(
        report.region,
        params,
        report.figures,
        report.counts,
        report.children,
        report.findings,
        report.refreshed,
        report.duration_ms,
        snapshot_id,
        stored.created_at,
    )


def child_coverage(session: Session, adcode: str) -> list[ChildCoverage]:
    """Return the covered share of each direct child of region adcode (refreshing stale pieces first)."""
    region = queries.get_region_ref(session, adcode)
    refresh_region(session, region)
    return queries.child_coverage(session, region)


def history(session: Session, adcode: str, since: datetime | None = None) -> list[dict[str, Any]]:
    """Return the region's stored coverage ratios over time, oldest first."""
    queries.get_region_ref(session, adcode)
    return [
        {
            "snapshot_id": s.id,
            "created_at": s.created_at,
            "covered_ratio": s.covered_ratio,
            "reach_ratio": s.reach_ratio,
            "blind_area_m2": s.blind_area_m2,
            "counts": s.counts,
            "params": s.params,
        }
        for s in queries.region_snapshots(session, adcode, since)
    ]


def _findings(
    session: Session,
    adcode: str,
    kind: str | None,
    params: CoverageParams,
    within: str | None,
    snapshot_id: int | None,
    with_geometry: bool,
) -> list[tuple[Finding, dict | None]]:
    if within is not None:
        queries.get_region_ref(session, within)
    snapshot = None
    if snapshot_id is not None:
        snapshot = queries.get_snapshot(session, snapshot_id)
        if snapshot.adcode != adcode:
            raise InvalidParameter(f"snapshot {snapshot_id} is of region {snapshot.adcode}", param="snapshot")
    else:
        _analyse(session, adcode, params, (kind,) if kind else tuple(KINDS))
    return queries.read_findings(
        session, snapshot=snapshot, kind=kind, within=within, with_geometry=with_geometry
    )


def findings_geojson(
    session: Session,
    adcode: str,
    kind: str | None = None,
    params: CoverageParams | None = None,
    *,
    within: str | None = None,
    snapshot_id: int | None = None,
) -> dict[str, Any]:
    """Return findings of region adcode (one kind or all) as a GeoJSON FeatureCollection in EPSG:4326."""
    rows = _findings(session, adcode, kind, params or CoverageParams(), within, snapshot_id, True)
    features = [
        {"type": "Feature", "geometry": geometry, "properties": finding_dict(f)} for f, geometry in rows
    ]
    return {"type": "FeatureCollection", "features": features, "coordsys": "wgs84"}


def findings_list(
    session: Session,
    adcode: str,
    kind: str | None = None,
    params: CoverageParams | None = None,
    *,
    within: str | None = None,
    snapshot_id: int | None = None,
) -> list[dict[str, Any]]:
    """Return findings of region adcode (one kind or all) as JSON-ready dicts without geometry."""
    rows = _findings(session, adcode, kind, params or CoverageParams(), within, snapshot_id, False)
    return [finding_dict(f) for f, _ in rows]


LEDGER_COLUMNS = (
    ("序号", "no"),
    ("类型", "kind_label"),
    ("类型代码", "kind"),
    ("所在区域代码", "region_adcode"),
    ("所在区域", "region_name"),
    ("面积(平方米)", "area_m2"),
    ("中心经度", "lon"),
    ("中心纬度", "lat"),
    ("涉及网格编码", "zone_codes"),
    ("涉及网格名称", "zone_names"),
    ("责任组织", "org"),
    ("建议责任组织/最近阵地(距离米)", "suggested"),
)


def _ledger_row(no: int, finding: Finding) -> dict[str, Any]:
    zones = finding.detail.get("zones", [])
    org = finding.detail.get("org") or {}
    suggested = finding.detail.get("suggested_orgs") or finding.detail.get("nearest_centres") or []
    return {
        "no": no,
        "kind_label": KINDS.get(finding.kind, finding.kind),
        "kind": finding.kind,
        "region_adcode": finding.region_adcode or "",
        "region_name": finding.region_name or "",
        "area_m2": f"{finding.area_m2:.1f}" if finding.area_m2 is not None else "",
        "lon": f"{finding.centroid[0]:.6f}" if finding.centroid else "",
        "lat": f"{finding.centroid[1]:.6f}" if finding.centroid else "",
        "zone_codes": "、".join(z["code"] for z in zones),
        "zone_names": "、".join(z["name"] for z in zones),
        "org": f"{org.get('name', '')}（{org.get('code', '')}）" if org else "",
        "suggested": "；".join(f"{s['name']}({s['distance_m']:.0f})" for s in suggested),
    }


def findings_csv(
    session: Session,
    adcode: str,
    kind: str | None = None,
    params: CoverageParams | None = None,
    *,
    within: str | None = None,
    snapshot_id: int | None = None,
) -> str:
    """Return the findings as a work-ledger CSV (台账): UTF-8 with BOM and Chinese headers for Excel."""
    rows = _findings(session, adcode, kind, params or CoverageParams(), within, snapshot_id, False)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for title, _ in LEDGER_COLUMNS])
    for no, (finding, _) in enumerate(rows, start=1):
        row = _ledger_row(no, finding)
        writer.writerow([row[key] for _, key in LEDGER_COLUMNS])
    return "\ufeff" + buffer.getvalue()


def snapshot_report(session: Session, snapshot_id: int) -> dict[str, Any]:
    """Return a stored snapshot with its findings (no geometry) as JSON-ready data."""
    s = queries.get_snapshot(session, snapshot_id)
    region = queries.get_region_ref(session, s.adcode)
    findings = [finding_dict(f) for f, _ in queries.read_findings(session, snapshot=s)]
    return {
        "region": {"adcode": region.adcode, "name": region.name, "level": region.level},
        "snapshot": {"id": s.id, "created_at": s.created_at},
        "params": s.params,
        "figures": {
            "region_area_m2": s.region_area_m2,
            "blind_area_m2": s.blind_area_m2,
            "covered_ratio": s.covered_ratio,
            "reach_ratio": s.reach_ratio,
        },
        "counts": s.counts,
        "children": s.children,
        "duration_ms": s.duration_ms,
        "findings": findings,
    }


def dumps(body: Any) -> str:
    """Return body as JSON text (Chinese kept, datetimes as ISO 8601)."""
    return json.dumps(
        body, ensure_ascii=False, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else v
    )
