-- Cuts region :region_id into cells (EPSG:4326 polygons) and stores them with their area in m².
-- ST_Subdivide first splits the outline into pieces of at most :max_vertices vertices, then a square
-- grid of :cell_deg degrees cuts every piece, so a cell meets few zones and its union stays small.
-- Each intersection is of a small piece with one square, never of the whole outline.
WITH pieces AS (
    SELECT ST_Subdivide(geom, :max_vertices) AS geom FROM regions WHERE id = :region_id
),
cut AS (
    SELECT CASE WHEN ST_CoveredBy(p.geom, s.geom) THEN p.geom ELSE ST_Intersection(p.geom, s.geom) END AS geom
    FROM pieces p
    CROSS JOIN LATERAL ST_SquareGrid(:cell_deg, p.geom) AS s
    WHERE ST_Intersects(s.geom, p.geom)
),
polygons AS (
    SELECT (ST_Dump(ST_CollectionExtract(geom, 3))).geom AS geom FROM cut
)
INSERT INTO coverage_cells (region_id, geom, area_m2)
SELECT :region_id, geom, ST_Area(CAST(geom AS geography))
FROM polygons
WHERE NOT ST_IsEmpty(geom) AND ST_Area(geom) > 0
