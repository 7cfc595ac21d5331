-- For cells of region :region_id (only stale ones when :only_stale), the part (EPSG:4326
-- MultiPolygon, NULL when reached) that no disc in the temporary table coverage_discs covers,
-- computed by coverage_uncovered (migration 0014_coverage_clip_union), like the blind parts.
-- :west and :east split the cells among connections by strips of longitude, as in reach_discs.sql.
-- marks is what the UPDATE checks (see refresh_blind.sql).
-- Used by an UPDATE for the stored default reach and as a plain SELECT for a what-if reach.
SELECT c.id, c.child_id, c.marks,
       coverage_uncovered(c.geom, 'coverage_discs', :grid_deg) AS gap
FROM coverage_cells c
WHERE c.province = :province AND c.region_id = :region_id AND (c.reach_stale OR NOT :only_stale)
  AND c.geom &> ST_SetSRID(ST_MakePoint(:west, 0), 4326)
  AND NOT c.geom &> ST_SetSRID(ST_MakePoint(:east, 0), 4326)
