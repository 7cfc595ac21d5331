-- Recomputes the blind part (EPSG:4326 MultiPolygon, NULL when fully covered) and its area in m² of
-- every stale cell of region :region_id: the cell minus the union of the zones whose box meets it,
-- by coverage_uncovered (migration 0014_coverage_clip_union), which snap-rounds to :grid_deg degrees
-- when needed.
-- Any zone counts, whatever region it is assigned to: coverage is about the ground, not the books, so the
-- zones looked up inside coverage_uncovered are not limited to :province (a neighbour's zone may cover
-- a border cell); the cells are.
-- :parts and :part split the stale cells among connections that compute them side by side (cell id
-- modulo :parts equals :part; 1 and 0 take them all).
-- The cell is left to be merged again (blind_merged). A cell an edit marked again since it was read
-- (marks moved on, migration 0013_coverage_zone_queue) keeps its mark for the next refresh.
-- Parts that vanish when shrunk by :grid_deg degrees (about 0.1 mm) are floating-point dust between zones
-- drawn on the same line, not ground: a zero-width triangle 3 km long measures about 100 m² on the
-- spheroid, whose edges bow away from the straight line, and would otherwise pass the tolerance.
-- MATERIALIZED: the SET list names the result twice, and an inlined CTE would compute it twice.
-- The cells are all computed before any is locked (the sort takes in every blind part before it hands
-- out the first), and then locked in id order, so the row locks are held for the update alone, not for
-- the whole share: the reach gaps' merge, which marks the same cells merged beside the blind shares,
-- waited for a share to end, about a second in a province's first analysis. The merge locks in id
-- order too (merge_kept.sql), or the two would deadlock.
WITH computed AS MATERIALIZED (
    SELECT c.id, c.marks,
           (SELECT ST_Multi(ST_Collect(d.geom))
            FROM ST_Dump(coverage_uncovered(c.geom, 'zones', :grid_deg)) d
            WHERE NOT ST_IsEmpty(ST_Buffer(d.geom, -CAST(:grid_deg AS float8)))) AS blind
    FROM coverage_cells c
    WHERE c.province = :province AND c.region_id = :region_id AND c.blind_stale AND c.id % :parts = :part
    ORDER BY c.id
),
locked AS MATERIALIZED (
    SELECT c.id FROM coverage_cells c
    WHERE c.province = :province AND c.id IN (SELECT id FROM computed)
    ORDER BY c.id FOR NO KEY UPDATE
)
UPDATE coverage_cells c
SET blind = k.blind,
    blind_m2 = COALESCE(geo_area_m2(k.blind), 0),
    blind_stale = false,
    blind_merged = false,
    computed_at = now()
FROM computed k JOIN locked l ON l.id = k.id
WHERE c.province = :province AND c.id = k.id AND c.marks = k.marks
