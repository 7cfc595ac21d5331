"""Road-network import: OSM ways (.osm/.pbf read by osmium) split at junctions into pgRouting edges."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import osmium
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..errors import ImportRejected

log = logging.getLogger(__name__)

WALK_KMH = 4.5
# Typical urban driving speeds in km/h by OSM highway class (signals and traffic included).
DRIVE_KMH = {
    "motorway": 80,
    "motorway_link": 45,
    "trunk": 60,
    "trunk_link": 40,
    "primary": 45,
    "primary_link": 35,
    "secondary": 40,
    "secondary_link": 30,
    "tertiary": 35,
    "tertiary_link": 25,
    "unclassified": 25,
    "residential": 25,
    "road": 20,
    "service": 15,
    "living_street": 10,
}
# Walking is allowed on every kept class except these; steps are slower.
NO_WALK = {"motorway", "motorway_link", "trunk", "trunk_link"}
WALK_KMH_BY_CLASS = {"steps": 2.0}
SKIPPED = {"construction", "proposed", "abandoned", "platform", "bus_stop", "raceway", "elevator", "corridor"}
BATCH = 5000


@dataclass(frozen=True)
class NetworkImport:
    ways: int
    edges: int
    vertices: int
    bbox: list[float] | None  # minLon, minLat, maxLon, maxLat (EPSG:4326)

    def as_dict(self) -> dict:
        return {"ways": self.ways, "edges": self.edges, "vertices": self.vertices, "bbox": self.bbox}


@dataclass(frozen=True)
class _Way:
    osm_id: int
    highway: str
    name: str | None
    walk_kmh: float
    drive_kmh: float
    oneway: int  # 1 forward only, -1 backward only, 0 both ways (for driving)
    nodes: list[tuple[int, float, float]]


def speeds(tags: dict[str, str]) -> tuple[float, float, int] | None:
    """Return (walk km/h, drive km/h, oneway) for a way's tags, or None when it is not a usable road."""
    highway = tags.get("highway")
    if not highway or highway in SKIPPED or tags.get("area") == "yes":
        return None
    if tags.get("access") in ("no", "private"):
        return None
    walk = 0.0 if highway in NO_WALK or tags.get("foot") == "no" else WALK_KMH_BY_CLASS.get(highway, WALK_KMH)
    drive = float(DRIVE_KMH.get(highway, 0))
    if tags.get("motor_vehicle") == "no" or tags.get("motorcar") == "no":
        drive = 0.0
    if tags.get("maxspeed", "").isdigit() and drive:
        drive = min(drive, float(tags["maxspeed"]))
    oneway_tag = tags.get("oneway", "")
    if oneway_tag in ("yes", "1", "true"):
        oneway = 1
    elif oneway_tag in ("-1", "reverse"):
        oneway = -1
    elif oneway_tag == "no":
        oneway = 0
    else:
        oneway = 1 if highway in ("motorway", "motorway_link") or tags.get("junction") == "roundabout" else 0
    if not walk and not drive:
        return None
    return walk, drive, oneway


def read_ways(path: Path) -> list[_Way]:
    """Return the usable highway ways of an .osm or .pbf file with their node ids and lon/lat."""
    ways = []
    try:
        for obj in osmium.FileProcessor(str(path)).with_locations():
            if not obj.is_way():
                continue
            tags = dict(obj.tags)
            found = speeds(tags)
            if found is None:
                continue
            nodes = [(n.ref, n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            if len(nodes) < 2:
                continue
            ways.append(_Way(obj.id, tags["highway"], tags.get("name"), *found, nodes))
    except RuntimeError as err:
        raise ImportRejected(f"cannot read {path.name} as OSM data: {err}") from None
    return ways


def split_ways(ways: list[_Way]) -> tuple[dict[int, tuple[float, float]], list[dict]]:
    """Return the junction vertices (node id -> lon/lat) and edge rows, each way cut at shared nodes."""
    uses = Counter(ref for way in ways for ref, _, _ in way.nodes)
    vertices: dict[int, tuple[float, float]] = {}
    edges: list[dict] = []
    for way in ways:
        part, start = 0, 0
        last = len(way.nodes) - 1
        for i in range(1, last + 1):
            if i < last and uses[way.nodes[i][0]] < 2:
                continue
            piece = way.nodes[start : i + 1]
            if piece[0][0] != piece[-1][0] or len(piece) > 2:
                edges.append(_edge_row(way, part, piece))
                for ref, lon, lat in (piece[0], piece[-1]):
                    vertices[ref] = (lon, lat)
                part += 1
            start = i
    return vertices, edges


def _edge_row(way: _Way, part: int, nodes: list[tuple[int, float, float]]) -> dict:
    return {
        "osm_id": way.osm_id,
        "part": part,
        "source": nodes[0][0],
        "target": nodes[-1][0],
        "highway": way.highway,
        "name": way.name,
        "walk_mps": way.walk_kmh / 3.6,
        "drive_mps": way.drive_kmh / 3.6,
        "oneway": way.oneway,
        "wkt": "LINESTRING(" + ", ".join(f"{lon:.7f} {lat:.7f}" for _, lon, lat in nodes) + ")",
    }


INSERT_VERTICES = text("""
    INSERT INTO roads_vertices (id, geom)
    SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)
    FROM unnest(CAST(:ids AS bigint[]), CAST(:lons AS float8[]), CAST(:lats AS float8[])) AS v(id, lon, lat)
    ON CONFLICT (id) DO NOTHING
""")

# Lengths are measured on the spheroid; costs are seconds, -1 where a mode may not use the edge.
INSERT_EDGES = text("""
    INSERT INTO roads_edges (osm_id, part, source, target, highway, name, length_m,
                             cost_walk_s, reverse_cost_walk_s, cost_drive_s, reverse_cost_drive_s, geom)
    SELECT osm_id, part, source, target, highway, name, len,
           CASE WHEN walk > 0 THEN len / walk ELSE -1 END,
           CASE WHEN walk > 0 THEN len / walk ELSE -1 END,
           CASE WHEN drive > 0 AND oneway >= 0 THEN len / drive ELSE -1 END,
           CASE WHEN drive > 0 AND oneway <= 0 THEN len / drive ELSE -1 END,
           geom
    FROM (
        SELECT e.*, g.geom, ST_Length(g.geom::geography) AS len
        FROM unnest(CAST(:osm_ids AS bigint[]), CAST(:parts AS integer[]), CAST(:sources AS bigint[]),
                    CAST(:targets AS bigint[]), CAST(:highways AS text[]), CAST(:names AS text[]),
                    CAST(:walks AS float8[]), CAST(:drives AS float8[]), CAST(:oneways AS integer[]),
                    CAST(:wkts AS text[]))
             AS e(osm_id, part, source, target, highway, name, walk, drive, oneway, wkt),
             LATERAL (SELECT ST_GeomFromText(e.wkt, 4326) AS geom) AS g
    ) AS rows
    ON CONFLICT (osm_id, part) DO UPDATE SET
        source = EXCLUDED.source, target = EXCLUDED.target, highway = EXCLUDED.highway,
        name = EXCLUDED.name, length_m = EXCLUDED.length_m, cost_walk_s = EXCLUDED.cost_walk_s,
        reverse_cost_walk_s = EXCLUDED.reverse_cost_walk_s, cost_drive_s = EXCLUDED.cost_drive_s,
        reverse_cost_drive_s = EXCLUDED.reverse_cost_drive_s, geom = EXCLUDED.geom
""")

CLEAR = text("DELETE FROM roads_edges; DELETE FROM roads_vertices")


def import_network(session: Session, path: Path, replace: bool = False) -> NetworkImport:
    """Load the roads of an .osm/.pbf file into roads_vertices/roads_edges in the caller's transaction."""
    ways = read_ways(path)
    if not ways:
        raise ImportRejected(f"{path.name} holds no usable highway ways")
    vertices, edges = split_ways(ways)
    if replace:
        session.execute(CLEAR)
    ids = list(vertices)
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        session.execute(
            INSERT_VERTICES,
            {"ids": chunk, "lons": [vertices[v][0] for v in chunk], "lats": [vertices[v][1] for v in chunk]},
        )
    for i in range(0, len(edges), BATCH):
        chunk = edges[i : i + BATCH]
        session.execute(
            INSERT_EDGES,
            {
                "osm_ids": [e["osm_id"] for e in chunk],
                "parts": [e["part"] for e in chunk],
                "sources": [e["source"] for e in chunk],
                "targets": [e["target"] for e in chunk],
                "highways": [e["highway"] for e in chunk],
                "names": [e["name"] for e in chunk],
                "walks": [e["walk_mps"] for e in chunk],
                "drives": [e["drive_mps"] for e in chunk],
                "oneways": [e["oneway"] for e in chunk],
                "wkts": [e["wkt"] for e in chunk],
            },
        )
    lons = [lon for lon, _ in vertices.values()]
    lats = [lat for _, lat in vertices.values()]
    bbox = [min(lons), min(lats), max(lons), max(lats)] if lons else None
    log.info("road network %s: %d ways, %d edges, %d vertices", path.name, len(ways), len(edges), len(ids))
    return NetworkImport(len(ways), len(edges), len(ids), bbox)
