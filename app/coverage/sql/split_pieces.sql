-- Splits the merged pieces of kind :kind in coverage_merged (EPSG:4326, areas in m²) that reach more
-- than :tolerance_m2 out of the direct child of region :region_id holding them into one piece per
-- child, so that every finding has one responsible region. Crossings below the tolerance (outlines
-- that disagree by a hair) leave the piece whole. A split piece keeps only its parts inside children:
-- subtracting near-coincident outlines leaves long hair-thin strips, not findings (the covered share
-- comes from the cells and stays exact either way).
WITH crossing AS (
    DELETE FROM coverage_merged m
    WHERE m.kind = :kind
      AND EXISTS (
          SELECT 1 FROM regions ch
          WHERE ch.parent_id = :region_id AND ch.geom && m.geom
            AND ST_Intersects(ch.geom, ST_PointOnSurface(m.geom))
            AND NOT ST_CoveredBy(m.geom, ch.geom)
            AND ST_Area(CAST(ST_Difference(m.geom, ch.geom) AS geography)) > :tolerance_m2)
    RETURNING m.kind, m.geom
),
parts AS (
    SELECT c.kind, ST_Intersection(c.geom, ch.geom) AS geom
    FROM crossing c JOIN regions ch ON ch.parent_id = :region_id AND ch.geom && c.geom
)
INSERT INTO coverage_merged (kind, geom, area_m2)
SELECT p.kind, d.geom, ST_Area(CAST(d.geom AS geography))
FROM parts p, ST_Dump(ST_CollectionExtract(p.geom, 3)) AS d
WHERE NOT ST_IsEmpty(d.geom)
