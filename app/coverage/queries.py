"""The SQL of the coverage analysis: cells, stored pieces, stale marks, findings, snapshots and history.

Everything runs in PostGIS on indexed tables. Every statement on a region's cells, merged pieces, grid
and snapshots also names the region's province (the shard key of migration 0009_province_shard_key),
so that a cluster sharded by province would send it to one shard. One run works through temporary
tables that live for the transaction: coverage_closure (region tree), coverage_scope (the analysed
subtree), coverage_discs (reach discs), coverage_merged (merged blind and gap pieces) and coverage_found
(the findings).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from ..regions.province import province_of

SQL_DIR = Path(__file__).resolve().parent / "sql"

# Zones per grid cell aimed at when a region is cut, and the vertex cap of ST_Subdivide.
ZONES_PER_CELL = 24
MAX_VERTICES = 256
# Below this width (degrees, about 0.1 mm) geometry is floating-point noise: cell differences snap-round
# to it where floating overlay is not robust, and what vanishes when shrunk by it is dust, not ground
# (zone_facts.sql, overlap_pairs.sql, refresh_blind.sql).
GRID_DEG = 1e-9
_OVERLAY = {"grid_deg": GRID_DEG}


@cache
def sql_file(name: str) -> str:
    """Return the SQL text of app/coverage/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _q(name: str) -> TextClause:
    return text(sql_file(name))


@dataclass(frozen=True)
class Share:
    """One connection's share of a refresh computed side by side: cell or zone ids modulo parts equal part."""

    parts: int = 1
    part: int = 0

    def params(self) -> dict[str, int]:
        return {"parts": self.parts, "part": self.part}


ALL = Share()


@dataclass(frozen=True)
class Strip:
    """Reach gaps are shared by strips of longitude, not by id: a connection builds the reach discs
    around its own cells, so cells taken by id modulo left every connection building nearly all discs.
    A strip holds the cells whose west edge lies in [west, east) degrees."""

    west: float = -1000.0
    east: float = 1000.0

    def params(self) -> dict[str, float]:
        return {"west": self.west, "east": self.east}


# The west edges that cut a region's cells into strips of about equal cell counts.
STRIP_CUTS = text("""
    SELECT percentile_cont(CAST(:fractions AS float8[])) WITHIN GROUP (ORDER BY ST_XMin(geom))
    FROM coverage_cells WHERE province = :province AND region_id = :region_id
""")


def strip_of(session: Session, region: RegionRef, share: Share) -> Strip:
    """Return strip share.part of share.parts over the region's cells, all cells for a single share.

    Every share computes the same cuts: the cells stay as they are while the region's refresh holds its lock.
    """
    if share.parts == 1:
        return Strip()
    fractions = [k / share.parts for k in range(1, share.parts)]
    # No cells: no cuts (NULL), and the first strip takes the whole range, empty as it is.
    cuts = session.execute(STRIP_CUTS, {**region.params(), "fractions": fractions}).scalar_one()
    cuts = cuts or [Strip.east] * len(fractions)
    edges = [Strip.west, *cuts, Strip.east]
    return Strip(edges[share.part], edges[share.part + 1])


@dataclass(frozen=True)
class RegionRef:
    id: int
    adcode: str
    name: str
    level: str

    def params(self) -> dict[str, Any]:
        """Return the bind parameters region_id and province that locate the region's coverage rows."""
        return {"region_id": self.id, "province": province_of(self.adcode)}


@dataclass(frozen=True)
class Figures:
    """Areas in m² of the region, of its blind part and of its service-reach gap; ratios 0..1."""

    region_area_m2: float
    blind_area_m2: float
    covered_ratio: float
    reach_gap_area_m2: float
    reach_ratio: float
    cells: int


@dataclass(frozen=True)
class ChildCoverage:
    """Covered and service-reached shares of one child region (areas in m², inside the parent)."""

    adcode: str
    name: str
    level: str
    area_m2: float
    blind_m2: float
    covered_ratio: float
    reach_gap_m2: float
    reach_ratio: float


@dataclass(frozen=True)
class Finding:
    """One finding: kind, the region it falls in, area in m², centroid (lon, lat EPSG:4326), details."""

    kind: str
    region_adcode: str | None
    region_name: str | None
    area_m2: float | None
    centroid: tuple[float, float] | None
    zone_ids: list[int]
    detail: dict[str, Any]


@dataclass(frozen=True)
class SnapshotRow:
    """A stored analysis: when, with which parameters, the ratios and the finding counts."""

    id: int
    adcode: str
    created_at: datetime
    params: dict[str, Any]
    region_area_m2: float
    blind_area_m2: float
    covered_ratio: float
    reach_ratio: float
    counts: dict[str, Any]
    children: list[dict[str, Any]]
    duration_ms: float


@dataclass(frozen=True)
class StaleRegion:
    adcode: str
    name: str
    stale_cells: int
    cells: int


@dataclass(frozen=True)
class NaiveResult:
    """What the one-statement reference SQL found: pieces and total area in m²."""

    pieces: int
    area_m2: float


# --- regions ----------------------------------------------------------------------------------------

GET_REGION = text("SELECT id, adcode, name, level FROM regions WHERE adcode = :adcode")


def get_region_ref(session: Session, adcode: str) -> RegionRef:
    """Return the region with adcode; NotFound if there is none."""
    row = session.execute(GET_REGION, {"adcode": adcode}).first()
    if row is None:
        raise NotFound(f"region {adcode} does not exist")
    return RegionRef(*row)


CREATE_CLOSURE = text("""
    DROP TABLE IF EXISTS coverage_closure;
    CREATE TEMP TABLE coverage_closure ON COMMIT DROP AS
    WITH RECURSIVE k(ancestor, descendant, depth) AS (
        SELECT id, id, 0 FROM regions
        UNION ALL
        SELECT k.ancestor, g.id, k.depth + 1 FROM k JOIN regions g ON g.parent_id = k.descendant
        WHERE k.depth < 8
    )
    SELECT ancestor, descendant, depth FROM k;
    CREATE INDEX ON coverage_closure (descendant, ancestor);
    DROP TABLE IF EXISTS coverage_scope;
    CREATE TEMP TABLE coverage_scope ON COMMIT DROP AS
    SELECT descendant AS region_id, depth FROM coverage_closure WHERE ancestor = :region_id;
""")


def prepare_scope(session: Session, region_id: int) -> None:
    """Create the temporary region closure and the analysed subtree (region and its descendants)."""
    session.execute(CREATE_CLOSURE, {"region_id": region_id})


# --- cells ------------------------------------------------------------------------------------------

# One transaction at a time refreshes a region: the dashboard asks for a report, its children and its
# layers at once, and each would otherwise cut the same grid and store the same cells. The lock is held
# until commit, so a waiting request reads the committed cells (READ COMMITTED) and finds nothing stale.
LOCK_REGION = text("SELECT pg_advisory_xact_lock(hashtext('coverage:' || CAST(:adcode AS text)))")


# Zone facts and overlap pairs are global, not per region: refreshes of two regions that share zones (a
# city and its district, neighbours with border zones) would otherwise recompute the same queued zone at
# once and replace each other's facts under the overlap pairs that refer to them. One refresh at a time
# computes zones, taken only when some wait, and held until commit like the region locks.
LOCK_ZONE_FACTS = text("SELECT pg_advisory_xact_lock(hashtext('coverage:zone-facts'))")


def lock_zone_facts_if_waiting(session: Session, region: RegionRef, full: bool) -> bool:
    """Take the zone-facts lock when zones of region's box wait to be computed (full: or have no facts)."""
    params = {**ALL.params(), "region_id": region.id, "full": full}
    if not session.execute(ZONES_WAITING, params).scalar_one():
        return False
    session.execute(LOCK_ZONE_FACTS)
    return True


def lock_regions(session: Session, adcodes: list[str]) -> None:
    """Wait for, then hold until commit, the refresh lock of each region (in adcode order, no deadlock)."""
    for adcode in sorted(set(adcodes)):
        session.execute(LOCK_REGION, {"adcode": adcode})


GRID_OF = text(
    "SELECT cell_deg, cells FROM coverage_grids WHERE province = :province AND region_id = :region_id"
)
# The region's own province's zones set the cell size (a neighbour's zones past the border do not).
ZONE_DENSITY = text("""
    SELECT g.adcode,
           (SELECT count(*) FROM zones z WHERE z.province = :province AND z.geom && g.geom) AS zones,
           (ST_XMax(g.geom) - ST_XMin(g.geom)) * (ST_YMax(g.geom) - ST_YMin(g.geom)) AS box_deg2,
           greatest(ST_XMax(g.geom) - ST_XMin(g.geom), ST_YMax(g.geom) - ST_YMin(g.geom)) AS side_deg
    FROM regions g WHERE g.id = :region_id
""")
DROP_CELLS = text("""
    DELETE FROM coverage_cells WHERE province = :province AND region_id = :region_id;
    DELETE FROM coverage_grids WHERE province = :province AND region_id = :region_id;
    DELETE FROM coverage_merged_pieces WHERE province = :province AND region_id = :region_id;
""")
RECORD_GRID = text("""
    INSERT INTO coverage_grids (province, region_id, cell_deg, cells)
    SELECT :province, :region_id, :cell_deg, count(*) FROM coverage_cells
    WHERE province = :province AND region_id = :region_id
    RETURNING cells
""")


STALE_CELLS = text("""
    SELECT count(*) FROM coverage_cells
    WHERE province = :province AND region_id = :region_id AND (blind_stale OR reach_stale)
""")


def stale_cells(session: Session, region: RegionRef) -> int:
    """Return how many of the region's cells wait for a blind or reach recompute."""
    return session.execute(STALE_CELLS, region.params()).scalar_one()


def has_written(session: Session) -> bool:
    """Return True once the session's transaction has written (other connections cannot see it yet)."""
    return session.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar_one()


# The planner's row counts for the tables a large refresh fills. Autovacuum may have analysed one while it
# was empty (after a district's zones were replaced, say) but still had its pages: the planner then takes
# it for empty whatever it holds, and joined two such "empty" tables crosswise before looking a pair up
# (the overlap findings of a city took 69 s instead of 10 ms). Only the columns the report's statements
# filter and join on are sampled; the row count comes with them. A table autovacuum is working on is
# passed over (SKIP_LOCKED), not waited for: the wait lasted until the deadlock check cancelled
# autovacuum, a second, and autovacuum counts the rows itself when it ends.
ANALYZE_REFRESHED = {
    "zones": text("""
        ANALYZE (SKIP_LOCKED)
            coverage_zone_facts (zone_id, pairs_done), coverage_overlaps (zone_a, zone_b, area_m2)
    """),
    "cells": text("""
        ANALYZE (SKIP_LOCKED)
            coverage_cells (province, region_id), coverage_merged_pieces (province, region_id, kind)
    """),
}


def analyze_refreshed(session: Session, tables: str) -> None:
    """Refresh the planner's statistics of the zone tables ("zones") or the cell tables ("cells")."""
    session.execute(ANALYZE_REFRESHED[tables])


def has_cells(session: Session, region: RegionRef) -> bool:
    """Return True when the region has been cut into cells already."""
    return session.execute(GRID_OF, region.params()).first() is not None


def cell_size_deg(session: Session, region: RegionRef) -> float:
    """Return a grid side in degrees that puts about ZONES_PER_CELL zones in a cell (density today)."""
    row = session.execute(ZONE_DENSITY, region.params()).one()
    if row.side_deg is None:
        # A region imported without an outline (or with an empty one) has no ground to cut.
        raise Conflict(f"region {row.adcode} has no boundary to analyse; import its outline first")
    if row.zones == 0 or row.box_deg2 <= 0:
        return max(row.side_deg, 1e-4)
    side = math.sqrt(row.box_deg2 * ZONES_PER_CELL / row.zones)
    return min(max(side, 0.002), max(row.side_deg, 1e-4))


def build_cells(session: Session, region: RegionRef, cell_deg: float) -> int:
    """Cut the region into cells (replacing any it had) and return how many there are."""
    session.execute(DROP_CELLS, region.params())
    session.execute(
        _q("build_cells"), {**region.params(), "cell_deg": cell_deg, "max_vertices": MAX_VERTICES}
    )
    return session.execute(RECORD_GRID, {**region.params(), "cell_deg": cell_deg}).scalar_one()


def refresh_blind(session: Session, region: RegionRef, share: Share = ALL) -> int:
    """Recompute the blind part of the region's stale cells (share of them); return how many were."""
    return session.execute(_q("refresh_blind"), {**region.params(), **_OVERLAY, **share.params()}).rowcount


CREATE_DISCS = text("""
    DROP TABLE IF EXISTS coverage_discs;
    CREATE TEMP TABLE coverage_discs (centre_id integer, reach_m double precision, geom geometry)
        ON COMMIT DROP;
""")
INDEX_DISCS = text("CREATE INDEX ON coverage_discs USING gist (geom); ANALYZE coverage_discs;")


STALE_REACH_CELLS = text("""
    SELECT count(*) FROM coverage_cells
    WHERE province = :province AND region_id = :region_id AND reach_stale
      AND geom &> ST_SetSRID(ST_MakePoint(:west, 0), 4326)
      AND NOT geom &> ST_SetSRID(ST_MakePoint(:east, 0), 4326)
""")


def prepare_discs(
    session: Session,
    region: RegionRef,
    overrides: dict[str, float],
    defaults: dict[str, float],
    only_stale: bool = False,
    strip: Strip = Strip(),
) -> None:
    """Fill coverage_discs with the geodesic reach disc of every centre that can reach the cells."""
    session.execute(CREATE_DISCS)
    max_reach = max([*overrides.values(), *defaults.values(), 1000.0])
    stored_max = session.execute(text("SELECT max(reach_m) FROM service_centres")).scalar() or 0
    session.execute(
        _q("reach_discs"),
        {
            **region.params(),
            "overrides": json.dumps(overrides),
            "defaults": json.dumps(defaults),
            "max_reach_m": max(max_reach, float(stored_max)),
            "only_stale": only_stale,
            **strip.params(),
        },
    )
    session.execute(INDEX_DISCS)


def refresh_reach(session: Session, region: RegionRef, defaults: dict[str, float], share: Share = ALL) -> int:
    """Store the default-reach gap of the region's stale cells (share of them); return how many were."""
    strip = strip_of(session, region, share)
    if not session.execute(STALE_REACH_CELLS, {**region.params(), **strip.params()}).scalar_one():
        return 0
    prepare_discs(session, region, {}, defaults, only_stale=True, strip=strip)
    # MATERIALIZED: the SET list names the gap twice, and an inlined query would compute it twice. The
    # cells are computed first and then locked in id order, as refresh_blind.sql does: a reach share and
    # a blind share may run side by side, and updates that lock the same cells in other orders deadlock.
    sql = text(f"""
        WITH g AS MATERIALIZED ({sql_file("reach_gaps")} ORDER BY c.id),
        locked AS MATERIALIZED (
            SELECT c.id FROM coverage_cells c
            WHERE c.province = :province AND c.id IN (SELECT id FROM g)
            ORDER BY c.id FOR NO KEY UPDATE
        )
        UPDATE coverage_cells c
        SET reach_gap = g.gap, reach_gap_m2 = COALESCE(geo_area_m2(g.gap), 0),
            reach_stale = false, reach_merged = false, computed_at = now()
        FROM g JOIN locked l ON l.id = g.id
        WHERE c.province = :province AND c.id = g.id AND c.marks = g.marks
    """)
    params = {**region.params(), "only_stale": True, **_OVERLAY, **strip.params()}
    return session.execute(sql, params).rowcount


def live_reach_gaps(session: Session, region: RegionRef) -> None:
    """Compute every cell's reach gap for the prepared (what-if) discs into coverage_live_gaps."""
    session.execute(text("DROP TABLE IF EXISTS coverage_live_gaps"))
    session.execute(
        text(f"CREATE TEMP TABLE coverage_live_gaps ON COMMIT DROP AS {sql_file('reach_gaps')}"),
        {**region.params(), "only_stale": False, **_OVERLAY, **Strip().params()},
    )


# The zones to compute, those whose box meets region :region_id's: those the edit triggers queued
# (coverage_zone_queue, migration 0013_coverage_zone_queue), with the queue number read; when :full,
# also every zone without facts (a first analysis: facts cleared, or rows written with the triggers
# off). Zones elsewhere wait for a report of their own region: a first analysis of one province in a
# nation's data computes that province's zones, not the nation's. Only the share :part of :parts (zone
# id modulo :parts) is listed: each connection lists its own.
_WAITING_ZONES = """
    -- The region's box is taken once: cast row by row, its whole outline was read again for each zone.
    WITH r AS MATERIALIZED (SELECT geom, CAST(geom AS box2d) AS box FROM regions WHERE id = :region_id)
    SELECT q.zone_id AS id, q.seq, z.region_id
    FROM coverage_zone_queue q JOIN zones z ON z.id = q.zone_id, r
    -- Boxes compared as box2d, which no index serves: the few queued zones lead, not the region's box.
    WHERE q.zone_id % :parts = :part AND CAST(z.geom AS box2d) && r.box
    UNION ALL
    SELECT z.id, NULL, z.region_id FROM zones z, r
    WHERE :full AND z.geom && r.geom AND z.id % :parts = :part
      -- OFFSET 0: each zone looks its id up. As anti-joins, misjudging the region's zones as one row,
      -- the planner scanned the whole index for each zone; with the index full of rows a bulk delete
      -- had just removed, a province's list took 9 minutes instead of a second.
      AND NOT EXISTS (SELECT 1 FROM coverage_zone_facts f WHERE f.zone_id = z.id OFFSET 0)
      AND NOT EXISTS (SELECT 1 FROM coverage_zone_queue q WHERE q.zone_id = z.id OFFSET 0)
"""
STALE_ZONES = text(f"""
    DROP TABLE IF EXISTS coverage_stale_zones;
    CREATE TEMP TABLE coverage_stale_zones ON COMMIT DROP AS {_WAITING_ZONES};
    ANALYZE coverage_stale_zones;
""")
ZONES_WAITING = text(f"SELECT EXISTS ({_WAITING_ZONES})")


def refresh_zone_facts(session: Session, region: RegionRef, share: Share = ALL, *, full: bool = False) -> int:
    """Compute area and spill of every queued zone in region's box (share of them); return how many.

    With full, zones without facts are computed too (a region's first analysis). Their overlap pairs
    are computed next, by refresh_overlap_pairs.
    """
    session.execute(STALE_ZONES, {**share.params(), "full": full, "region_id": region.id})
    count = session.execute(text("SELECT count(*) FROM coverage_stale_zones")).scalar_one()
    if count:
        session.execute(_q("zone_facts"))
    return count


def refresh_overlap_pairs(session: Session, share: Share = ALL) -> int:
    """Store the overlap pairs of every zone whose facts are new (share of them), once all have facts.

    Return how many zones had their pairs computed.
    """
    return session.execute(_q("overlap_pairs"), {**share.params(), "grid_deg": GRID_DEG}).rowcount


MARK_BLIND = text("SELECT coverage_mark_blind_stale(CAST(:geom AS geometry))")
MARK_REACH = text("SELECT coverage_mark_reach_stale(CAST(:geom AS geometry), :reach_m)")


QUEUE_ZONES_IN = text("""
    INSERT INTO coverage_zone_queue (zone_id)
    SELECT z.id FROM zones z WHERE z.geom && CAST(:geom AS geometry)
    ON CONFLICT (zone_id) DO UPDATE SET seq = nextval('coverage_zone_queue_seq')
""")


def mark_blind_stale(session: Session, geom_ewkt: str) -> None:
    """Mark every cell and queue every zone whose box meets geom (EWKT, EPSG:4326) for a recompute."""
    session.execute(MARK_BLIND, {"geom": geom_ewkt})
    session.execute(QUEUE_ZONES_IN, {"geom": geom_ewkt})


def mark_reach_stale(session: Session, point_ewkt: str, reach_m: float) -> None:
    """Mark every cell within about reach_m metres of point (EWKT, EPSG:4326) for a reach recompute."""
    session.execute(MARK_REACH, {"geom": point_ewkt, "reach_m": reach_m})


STALE_REGIONS = text("""
    SELECT g.adcode, g.name, count(*) FILTER (WHERE c.blind_stale OR c.reach_stale) AS stale_cells,
           count(*) AS cells
    FROM coverage_cells c JOIN regions g ON g.id = c.region_id
    GROUP BY g.adcode, g.name
    HAVING bool_or(c.blind_stale OR c.reach_stale)
    ORDER BY g.adcode
""")


def stale_regions(session: Session) -> list[StaleRegion]:
    """Return the analysed regions that have cells waiting for a recompute."""
    return [StaleRegion(*r) for r in session.execute(STALE_REGIONS)]


# --- findings ---------------------------------------------------------------------------------------

# Geometries compressed with lz4, as in the stored coverage tables (migration 0019_geometry_storage):
# pglz spends about 12 ms per MB failing to compress coordinates.
CREATE_FOUND = text("""
    DROP TABLE IF EXISTS coverage_found;
    CREATE TEMP TABLE coverage_found (
        kind text, region_id integer, geom geometry COMPRESSION lz4, area_m2 double precision,
        zone_ids integer[], detail jsonb) ON COMMIT DROP;
    DROP TABLE IF EXISTS coverage_merged;
    CREATE TEMP TABLE coverage_merged (
        province char(2), region_id integer, kind text, child_id integer, geom geometry COMPRESSION lz4,
        area_m2 double precision, detail jsonb) ON COMMIT DROP;
""")

# Our own fixed sources of pieces for each area finding; only these identifiers are formatted into SQL.
_PIECES = {
    "blind": """SELECT child_id, blind AS geom FROM coverage_cells
                WHERE province = :province AND region_id = :region_id AND blind IS NOT NULL""",
    "reach_gap": """SELECT child_id, reach_gap AS geom FROM coverage_cells
                    WHERE province = :province AND region_id = :region_id AND reach_gap IS NOT NULL""",
    "reach_gap_live": "SELECT child_id, gap AS geom FROM coverage_live_gaps WHERE gap IS NOT NULL",
}
# Where merged pieces go: kept between runs (stored cells), or for this run only (a what-if reach).
_MERGED = {"kept": "coverage_merged_pieces", "run": "coverage_merged"}
# The cell columns of each kept kind: its stored part, and whether that part is merged already.
_CELL_PART = {"blind": ("blind", "blind_merged"), "reach_gap": ("reach_gap", "reach_merged")}


def prepare_found(session: Session) -> None:
    """Create the empty temporary tables a run writes its findings to."""
    session.execute(CREATE_FOUND)


def merge_pieces(session: Session, region: RegionRef, kind: str, source: str, into: str = "run") -> None:
    """Merge the cell pieces of source across cell seams, per child region, into table into.

    As merge_kept.sql does: a zero buffer of the collected pieces is their union, in one noding pass.
    """
    session.execute(
        text(f"""
            INSERT INTO {_MERGED[into]} (province, region_id, kind, child_id, geom, area_m2)
            SELECT :province, :region_id, :kind, d.child_id, d.geom, geo_area_m2(d.geom)
            FROM (SELECT p.child_id, (ST_Dump(ST_Buffer(ST_Collect(p.geom), 0))).geom AS geom
                  FROM ({_PIECES[source]}) p GROUP BY p.child_id) d
            WHERE ST_GeometryType(d.geom) = 'ST_Polygon'
        """),
        {**region.params(), "kind": kind},
    )


# Served by the partial index ix_coverage_cells_unmerged (migration 0008_coverage_merged).
UNMERGED = """SELECT EXISTS (SELECT 1 FROM coverage_cells
                             WHERE province = :province AND region_id = :region_id AND NOT {flag})"""


def ensure_merged(session: Session, region: RegionRef, kind: str) -> bool:
    """Bring the kept merge of kind up to date with the region's cells, merging again only the pieces
    around cells recomputed since; return True when anything had to be merged."""
    part, flag = _CELL_PART[kind]
    if not session.execute(text(UNMERGED.format(flag=flag)), region.params()).scalar_one():
        return False
    sql = sql_file("merge_kept").format(part=part, flag=flag)
    session.execute(text(sql), {**region.params(), "kind": kind})
    return True


def add_area_findings(
    session: Session, region: RegionRef, kind: str, tolerance_m2: float, merged: str = "kept"
) -> tuple[int, float]:
    """Add the merged pieces of kind above tolerance as findings; return the slivers (count, m²) dropped."""
    fill_piece_details(session, region, kind, tolerance_m2, merged)
    sql = sql_file("area_findings").format(pieces=_MERGED[merged])
    params = {**region.params(), "kind": kind, "tolerance_m2": tolerance_m2}
    row = session.execute(text(sql), params).one()
    return int(row.n), float(row.area_m2)


def fill_piece_details(
    session: Session,
    region: RegionRef,
    kind: str,
    tolerance_m2: float,
    merged: str = "kept",
    share: Share = ALL,
) -> None:
    """Compute the suggested owners of the merged pieces of kind above tolerance that have none yet.

    A share of them (by piece id) for the kept pieces; a run's own pieces have no ids and are taken whole.
    """
    if merged != "kept" and share != ALL:
        raise ValueError("only kept pieces are shared by id")
    shared = "id % :parts = :part" if merged == "kept" else "true"
    sql = sql_file("piece_details").format(pieces=_MERGED[merged], share=shared)
    params = {**region.params(), "kind": kind, "tolerance_m2": tolerance_m2, **share.params()}
    session.execute(text(sql), params)


def add_overlap_findings(session: Session, tolerance_m2: float) -> None:
    """Add the stored overlaps of the analysed subtree above tolerance_m2 as findings."""
    # Not limited to the province: a pair of overlapping zones may straddle a province border.
    session.execute(_q("overlap_findings"), {"tolerance_m2": tolerance_m2})


def add_zone_findings(session: Session, region: RegionRef, tolerance_m2: float) -> None:
    """Add unassigned, inactive-org, org-outside and spill findings of the analysed subtree of region."""
    session.execute(_q("zone_findings"), {**region.params(), "tolerance_m2": tolerance_m2})


FOUND_COUNTS = text("SELECT kind, count(*) FROM coverage_found GROUP BY kind")


def found_counts(session: Session) -> dict[str, int]:
    """Return how many findings of each kind the run holds."""
    return {kind: n for kind, n in session.execute(FOUND_COUNTS)}


# The cells tile the region, so their areas add up to the region's: no geodesic walk of its outline.
FIGURES = text("""
    SELECT COALESCE(sum(c.area_m2), 0) AS region_area_m2,
           COALESCE(sum(c.blind_m2), 0) AS blind_m2,
           COALESCE(sum(c.reach_gap_m2), 0) AS reach_gap_m2,
           count(c.id) AS cells
    FROM regions g LEFT JOIN coverage_cells c ON c.province = :province AND c.region_id = g.id
    WHERE g.id = :region_id
    GROUP BY g.id
""")
LIVE_GAP_AREA = text("SELECT COALESCE(sum(geo_area_m2(gap)), 0) FROM coverage_live_gaps")


def figures(session: Session, region: RegionRef, live_reach: bool = False) -> Figures:
    """Return the region's area and its blind and reach-gap areas (m²) from the stored cells."""
    row = session.execute(FIGURES, region.params()).one()
    gap = session.execute(LIVE_GAP_AREA).scalar_one() if live_reach else row.reach_gap_m2
    area = row.region_area_m2 or 0.0
    blind = min(row.blind_m2, area)
    gap = min(gap, area)
    return Figures(
        region_area_m2=area,
        blind_area_m2=blind,
        covered_ratio=1.0 - blind / area if area else 0.0,
        reach_gap_area_m2=gap,
        reach_ratio=1.0 - gap / area if area else 0.0,
        cells=row.cells,
    )


def _share(part_m2: float, whole_m2: float) -> float:
    return 1.0 - min(part_m2, whole_m2) / whole_m2 if whole_m2 else 0.0


def child_coverage(session: Session, region: RegionRef) -> list[ChildCoverage]:
    """Return the covered and reached shares of each direct child of the region, from its stored cells."""
    return [
        ChildCoverage(
            r.adcode,
            r.name,
            r.level,
            r.area_m2,
            min(r.blind_m2, r.area_m2),
            _share(r.blind_m2, r.area_m2),
            min(r.reach_gap_m2, r.area_m2),
            _share(r.reach_gap_m2, r.area_m2),
        )
        for r in session.execute(_q("children"), region.params())
    ]


# Findings are read from a run's temporary table or from a stored snapshot; both have the same columns.
_SOURCES = {
    "live": "coverage_found f",
    "stored": "coverage_findings f",
}
_SOURCE_FILTER = {"live": "true", "stored": "f.province = :province AND f.snapshot_id = :snapshot_id"}
KIND_ORDER = ("blind", "overlap", "unassigned", "inactive_org", "org_outside_region", "spill", "reach_gap")


def _findings_sql(source: str, with_geometry: bool) -> TextClause:
    geometry = ", ST_AsGeoJSON(f.geom, 7)::json AS geometry" if with_geometry else ""
    order = "array_position(CAST(:kinds AS text[]), f.kind), f.area_m2 DESC NULLS LAST, f.zone_ids"
    return text(f"""
        WITH RECURSIVE within(id) AS (
            SELECT id FROM regions WHERE adcode = CAST(:within AS text)
            UNION ALL
            SELECT g.id FROM regions g JOIN within w ON g.parent_id = w.id
        )
        SELECT f.kind, g.adcode AS region_adcode, g.name AS region_name, f.area_m2,
               ST_X(ST_Centroid(f.geom)) AS lon, ST_Y(ST_Centroid(f.geom)) AS lat,
               f.zone_ids, f.detail{geometry}
        FROM {_SOURCES[source]} LEFT JOIN regions g ON g.id = f.region_id
        WHERE {_SOURCE_FILTER[source]}
          AND (CAST(:kind AS text) IS NULL OR f.kind = :kind)
          AND (CAST(:within AS text) IS NULL OR f.region_id IN (SELECT id FROM within))
        ORDER BY {order}
        LIMIT :limit
    """)


def read_findings(
    session: Session,
    *,
    snapshot: SnapshotRow | None = None,
    kind: str | None = None,
    within: str | None = None,
    limit: int = 100_000,
    with_geometry: bool = False,
) -> list[tuple[Finding, dict | None]]:
    """Return findings of the current run (or of snapshot), optionally of one kind and within a region."""
    source = "live" if snapshot is None else "stored"
    params = {
        "snapshot_id": snapshot.id if snapshot else None,
        "province": province_of(snapshot.adcode) if snapshot else None,
        "kind": kind,
        "within": within,
        "limit": limit,
        "kinds": list(KIND_ORDER),
    }
    out = []
    for r in session.execute(_findings_sql(source, with_geometry), params).mappings():
        centroid = (round(r["lon"], 7), round(r["lat"], 7)) if r["lon"] is not None else None
        finding = Finding(
            r["kind"],
            r["region_adcode"],
            r["region_name"],
            r["area_m2"],
            centroid,
            list(r["zone_ids"] or []),
            r["detail"] or {},
        )
        out.append((finding, r["geometry"] if with_geometry else None))
    return out


# --- snapshots --------------------------------------------------------------------------------------

INSERT_SNAPSHOT = text("""
    INSERT INTO coverage_snapshots
        (province, region_id, params, region_area_m2, blind_area_m2, covered_ratio, reach_ratio, counts,
         children, duration_ms)
    VALUES (:province, :region_id, CAST(:params AS jsonb), :region_area_m2, :blind_area_m2, :covered_ratio,
            :reach_ratio, CAST(:counts AS jsonb), CAST(:children AS jsonb), :duration_ms)
    RETURNING id
""")
COPY_FINDINGS = text("""
    INSERT INTO coverage_findings (province, snapshot_id, kind, region_id, geom, area_m2, zone_ids, detail)
    SELECT :province, :snapshot_id, kind, region_id, geom, area_m2, zone_ids, detail FROM coverage_found
""")


def store_snapshot(session: Session, region: RegionRef, values: dict[str, Any]) -> int:
    """Store a snapshot row of region with the run's findings and return its id."""
    params = {
        **values,
        **region.params(),
        "params": json.dumps(values["params"], ensure_ascii=False),
        "counts": json.dumps(values["counts"], ensure_ascii=False),
        "children": json.dumps(values["children"], ensure_ascii=False),
    }
    snapshot_id = session.execute(INSERT_SNAPSHOT, params).scalar_one()
    session.execute(COPY_FINDINGS, {"snapshot_id": snapshot_id, "province": params["province"]})
    return snapshot_id


_SNAPSHOT_COLUMNS = """
    s.id, g.adcode, s.created_at, s.params, s.region_area_m2, s.blind_area_m2, s.covered_ratio,
    s.reach_ratio, s.counts, s.children, s.duration_ms
"""
GET_SNAPSHOT = text(
    f"SELECT {_SNAPSHOT_COLUMNS} FROM coverage_snapshots s JOIN regions g ON g.id = s.region_id "
    "WHERE s.id = :snapshot_id"
)
REGION_SNAPSHOTS = text(f"""
    SELECT {_SNAPSHOT_COLUMNS} FROM coverage_snapshots s JOIN regions g ON g.id = s.region_id
    WHERE s.province = :province AND g.adcode = :adcode
      AND (CAST(:since AS timestamptz) IS NULL OR s.created_at >= CAST(:since AS timestamptz))
    ORDER BY s.created_at, s.id
    LIMIT :limit
""")


def get_snapshot(session: Session, snapshot_id: int) -> SnapshotRow:
    """Return the stored snapshot with snapshot_id; NotFound if there is none."""
    row = session.execute(GET_SNAPSHOT, {"snapshot_id": snapshot_id}).first()
    if row is None:
        raise NotFound(f"coverage snapshot {snapshot_id} does not exist")
    return SnapshotRow(*row)


def region_snapshots(
    session: Session, adcode: str, since: datetime | None = None, limit: int = 1000
) -> list[SnapshotRow]:
    """Return the region's snapshots, oldest first."""
    params = {"adcode": adcode, "province": province_of(adcode), "since": since, "limit": limit}
    return [SnapshotRow(*r) for r in session.execute(REGION_SNAPSHOTS, params)]


# --- reference SQL ----------------------------------------------------------------------------------

NAIVE_BLIND = text("""
    WITH g AS (SELECT geom FROM regions WHERE adcode = :adcode),
    gap AS (
        SELECT ST_Difference(g.geom, COALESCE(
                   (SELECT ST_Union(z.geom) FROM zones z WHERE ST_Intersects(z.geom, g.geom)),
                   'SRID=4326;POLYGON EMPTY'::geometry)) AS geom
        FROM g
    )
    SELECT count(*) AS pieces, COALESCE(sum(ST_Area(CAST(d.geom AS geography))), 0) AS area_m2
    FROM gap, ST_Dump(gap.geom) AS d
    WHERE ST_Area(CAST(d.geom AS geography)) > :tolerance_m2
""")
NAIVE_OVERLAPS = text("""
    -- The plain self-join on the indexed zones table, both sides among the region's zones. (Joining a
    -- CTE of those zones to itself compared every pair's boxes: 10^10 tests at 100,000 zones.)
    WITH z AS MATERIALIZED (
        SELECT z.id FROM zones z, regions g
        WHERE g.adcode = :adcode AND ST_Intersects(z.geom, g.geom)
    ),
    shared AS (
        SELECT ST_Area(CAST(ST_Intersection(a.geom, b.geom) AS geography)) AS area_m2
        FROM zones a JOIN zones b ON a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
        WHERE a.id IN (SELECT id FROM z) AND b.id IN (SELECT id FROM z)
    )
    SELECT count(*) AS pieces, COALESCE(sum(area_m2), 0) AS area_m2 FROM shared WHERE area_m2 > :tolerance_m2
""")


def naive_blind_zones(session: Session, adcode: str, tolerance_m2: float = 50.0) -> NaiveResult:
    """Reference: region minus the union of all its zones in one statement; pieces above tolerance_m2."""
    row = session.execute(NAIVE_BLIND, {"adcode": adcode, "tolerance_m2": tolerance_m2}).one()
    return NaiveResult(int(row.pieces), float(row.area_m2))


def naive_overlaps(session: Session, adcode: str, tolerance_m2: float = 50.0) -> NaiveResult:
    """Reference: the plain self-join of the region's zones with ST_Intersection on every meeting pair."""
    row = session.execute(NAIVE_OVERLAPS, {"adcode": adcode, "tolerance_m2": tolerance_m2}).one()
    return NaiveResult(int(row.pieces), float(row.area_m2))
