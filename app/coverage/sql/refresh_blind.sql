-- Recomputes the blind part (EPSG:4326 MultiPolygon, NULL when fully covered) and its area in m² of
-- every stale cell of region :region_id: the cell minus the union of the zones whose box meets it.
-- Any zone counts, whatever region it is assigned to: coverage is about the ground, not the books.
-- Zones with many vertices (a whole district drawn as one zone) are clipped to the cell's box first,
-- so the union never carries a long outline into every cell it touches. The difference snap-rounds
-- to :grid_deg degrees: GEOS's floating overlay has been seen to return a whole cell as blind when a
-- zone edge runs almost along the cell's outline; fixed precision does not.
WITH stale AS (
    SELECT c.id, c.geom FROM coverage_cells c WHERE c.region_id = :region_id AND c.blind_stale
),
computed AS (
    SELECT s.id,
           CASE
               WHEN EXISTS (SELECT 1 FROM zones z WHERE z.geom && s.geom AND ST_Covers(z.geom, s.geom))
                   THEN NULL
               ELSE (
                   SELECT ST_Multi(ST_CollectionExtract(
                              ST_Difference(s.geom, COALESCE(ST_Union(
                                  CASE WHEN ST_NPoints(z.geom) > :clip_vertices
                                       THEN ST_Intersection(z.geom, ST_Expand(ST_Envelope(s.geom), 1e-7))
                                       ELSE z.geom END),
                                  'SRID=4326;POLYGON EMPTY'::geometry), :grid_deg), 3))
                   FROM zones z WHERE z.geom && s.geom)
           END AS blind
    FROM stale s
),
cleaned AS (
    SELECT id, CASE WHEN blind IS NULL OR ST_IsEmpty(blind) THEN NULL ELSE ST_SetSRID(blind, 4326) END AS blind
    FROM computed
)
UPDATE coverage_cells c
SET blind = k.blind,
    blind_m2 = COALESCE(ST_Area(CAST(k.blind AS geography)), 0),
    blind_stale = false,
    computed_at = now()
FROM cleaned k
WHERE c.id = k.id
