-- Covered share of each direct child of region :region_id (for a choropleth): the child's area in m²
-- and the area of the parent's stored blind pieces that falls inside it. A blind piece inside the
-- child (prepared test) counts whole; only pieces on a child boundary are intersected.
SELECT ch.adcode, ch.name, ch.level,
       ST_Area(CAST(ch.geom AS geography)) AS area_m2,
       COALESCE((
           SELECT sum(CASE WHEN ST_CoveredBy(c.blind, ch.geom) THEN c.blind_m2
                           ELSE ST_Area(CAST(ST_Intersection(c.blind, ch.geom) AS geography)) END)
           FROM coverage_cells c
           WHERE c.region_id = :region_id AND c.blind IS NOT NULL AND c.blind && ch.geom
       ), 0) AS blind_m2
FROM regions ch
WHERE ch.parent_id = :region_id
ORDER BY ch.adcode
