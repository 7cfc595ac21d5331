-- For cells of region :region_id (only stale ones when :only_stale), the part (EPSG:4326
-- MultiPolygon, NULL when reached) that no disc in the temporary table coverage_discs covers.
-- Snap-rounded to :grid_deg degrees like the blind parts. Used by an UPDATE for the stored default reach and as a plain SELECT for a what-if reach.
SELECT s.id, s.child_id,
       CASE WHEN gap IS NULL OR ST_IsEmpty(gap) THEN NULL ELSE ST_SetSRID(gap, 4326) END AS gap
FROM (
    SELECT c.id, c.child_id,
           (SELECT ST_Multi(ST_CollectionExtract(
                       ST_Difference(c.geom, COALESCE(ST_Union(d.geom), 'SRID=4326;POLYGON EMPTY'::geometry),
                                     :grid_deg), 3))
            FROM coverage_discs d WHERE d.geom && c.geom) AS gap
    FROM coverage_cells c
    WHERE c.region_id = :region_id AND (c.reach_stale OR NOT :only_stale)
) s
