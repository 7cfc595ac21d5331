-- Cuts region :region_id into cells (EPSG:4326 polygons), each tagged with the direct child region it
-- lies in, and stores them with their area in m². The region is first split along its children (one
-- intersection per child reaching outside it, once per build), so findings and per-child shares never
-- need to intersect big outlines at report time; what lies in no child becomes untagged cells. Each part
-- is cut into pieces of at most :max_vertices vertices (region_pieces, migration 0018_region_pieces, is
-- cut with as many), and a square grid of :cell_deg degrees cuts every piece, so a cell meets few zones
-- and its union stays small. Cells carry the region's :province.
WITH r AS (
    SELECT id, geom FROM regions WHERE id = :region_id
),
kids AS (
    SELECT ch.id, ch.geom FROM regions ch, r WHERE ch.parent_id = r.id AND ch.geom && r.geom
),
-- Whether each child lies inside the region, tested once (MATERIALIZED).
placed AS MATERIALIZED (
    SELECT k.id, k.geom, ST_CoveredBy(k.geom, r.geom) AS inside FROM kids k, r
),
-- What lies in no child, found piece by piece: a piece inside one child (a prepared test) is skipped,
-- and a piece on a child's edge loses only the children cut a little beyond its box (the cut edges
-- stay outside the piece). Subtracting the union of whole district outlines took most of a build.
-- The pieces are the region's own, which a trigger keeps cut (migration 0018_region_pieces).
outline_pieces AS MATERIALIZED (
    SELECT p.id AS n, p.geom FROM region_pieces p WHERE p.region_id = :region_id
),
-- Child by child, so ST_Covers keeps one child outline prepared while it tests the pieces.
inside AS MATERIALIZED (
    SELECT DISTINCT x.n FROM kids k
    CROSS JOIN LATERAL (SELECT rp.n FROM outline_pieces rp
                        WHERE rp.geom && k.geom AND ST_Covers(k.geom, rp.geom)) x
),
-- MATERIALIZED: the planner would otherwise subtract twice per piece.
edge_pieces AS MATERIALIZED (
    SELECT rp.geom FROM outline_pieces rp WHERE rp.n NOT IN (SELECT n FROM inside)
),
leftover AS MATERIALIZED (
    SELECT NULL::integer AS child_id,
           ST_CollectionExtract(ST_Difference(rp.geom, COALESCE(
               (SELECT ST_Union(ST_Intersection(k.geom, ST_Expand(ST_Envelope(rp.geom), 1e-7)))
                FROM kids k WHERE k.geom && rp.geom),
               'SRID=4326;POLYGON EMPTY'::geometry)), 3) AS geom
    FROM edge_pieces rp
),
-- A child inside the region is cut as its own pieces, which the regions trigger keeps (the same
-- ST_Subdivide of the same outline); one reaching outside is cut to the region first.
pieces AS (
    SELECT k.id AS child_id, p.geom FROM placed k JOIN region_pieces p ON p.region_id = k.id
    WHERE k.inside
    UNION ALL
    SELECT k.id, ST_Subdivide(x.geom, :max_vertices)
    FROM placed k, r, LATERAL (SELECT ST_Intersection(k.geom, r.geom) AS geom OFFSET 0) x
    WHERE NOT k.inside AND NOT ST_IsEmpty(x.geom)
    UNION ALL
    -- Along a shared outline the piecewise difference can leave floating-point dust (far below 1 m²,
    -- 1e-10 square degrees), which is no ground in no child.
    SELECT child_id, ST_Subdivide(geom, :max_vertices) FROM leftover
    WHERE NOT ST_IsEmpty(geom) AND ST_Area(geom) > 1e-10
),
cut AS (
    SELECT p.child_id,
           CASE WHEN ST_CoveredBy(p.geom, s.geom) THEN p.geom ELSE ST_Intersection(p.geom, s.geom) END AS geom
    FROM pieces p
    CROSS JOIN LATERAL ST_SquareGrid(:cell_deg, p.geom) AS s
    WHERE ST_Intersects(s.geom, p.geom)
),
polygons AS (
    SELECT child_id, (ST_Dump(ST_CollectionExtract(geom, 3))).geom AS geom FROM cut
)
INSERT INTO coverage_cells (province, region_id, child_id, geom, area_m2)
SELECT :province, :region_id, child_id, geom, geo_area_m2(geom)
FROM polygons
WHERE NOT ST_IsEmpty(geom) AND ST_Area(geom) > 0
