"""SQL that lays deterministic synthetic geometry over real districts (same seed, same shapes)."""

from __future__ import annotations

from sqlalchemy import text

# Voronoi cells of n seeded random points, clipped to the region: a grid that looks drawn, not a lattice.
VORONOI_CELLS = text("""
    WITH region AS (SELECT geom FROM regions WHERE adcode = :adcode),
    seeds AS (SELECT ST_GeneratePoints(region.geom, :n, :seed) AS pts FROM region),
    cells AS (
        SELECT (ST_Dump(ST_VoronoiPolygons(seeds.pts, 0, region.geom))).geom AS cell FROM seeds, region
    )
    SELECT row_number() OVER (ORDER BY ST_Y(ST_Centroid(cell)) DESC, ST_X(ST_Centroid(cell))) AS seq,
           encode(ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_Intersection(cell, region.geom), 3))), 'hex')
               AS wkb
    FROM cells, region
    WHERE ST_Intersects(cell, region.geom)
    ORDER BY seq
""")

# A cell grown by grow_m metres (geodesic buffer) and clipped back to its region: a deliberate overlap.
GROWN_CELL = text("""
    SELECT encode(ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_Intersection(
        ST_Buffer(CAST(ST_GeomFromWKB(decode(:wkb, 'hex'), 4326) AS geography), :grow_m)::geometry,
        (SELECT geom FROM regions WHERE adcode = :adcode)), 3))), 'hex')
""")

# n seeded random points inside the region, as lon/lat.
POINTS_IN = text("""
    SELECT ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
    FROM regions g, ST_Dump(ST_GeneratePoints(g.geom, :n, :seed)) AS p
    WHERE g.adcode = :adcode
    ORDER BY p.path
""")

# n seeded random points within radius_m of a point (a disc in a local metric projection), as lon/lat.
POINTS_AROUND = text("""
    SELECT ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
    FROM ST_Dump(ST_GeneratePoints(
        ST_Buffer(CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geography), :radius_m)::geometry,
        :n, :seed)) AS p
    ORDER BY p.path
""")

# A point well inside the region (for district centres and committees).
INNER_POINT = text("""
    SELECT ST_X(p) AS lon, ST_Y(p) AS lat
    FROM (SELECT ST_PointOnSurface(geom) AS p FROM regions WHERE adcode = :adcode) s
""")

CHILD_DISTRICTS = text("""
    SELECT g.adcode, g.name FROM regions g JOIN regions p ON p.id = g.parent_id
    WHERE p.adcode = :adcode ORDER BY g.adcode
""")
