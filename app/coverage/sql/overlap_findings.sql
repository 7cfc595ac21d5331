-- Adds to coverage_found the stored overlaps (EPSG:4326, m²) above :tolerance_m2 in which at least one
-- zone belongs to the analysed subtree, with the share of each zone's area the overlap takes; the
-- region is the own region of the first zone that belongs to the subtree.
-- Driven by the overlaps, with each of the pair's zones looked up by its key (LATERAL, kept apart by
-- OFFSET 0), the time stays linear in the overlaps whatever the planner believes of the tables' sizes:
-- joined freely, with the facts table taken for empty, it paired every zone's facts with every other's
-- before looking the overlaps up (69 s for a city's 718).
INSERT INTO coverage_found (kind, region_id, geom, area_m2, zone_ids, detail)
SELECT 'overlap', p.region_id, o.geom, o.area_m2, ARRAY[o.zone_a, o.zone_b],
       jsonb_build_object('zones', p.labels)
FROM coverage_overlaps o
CROSS JOIN LATERAL (
    SELECT bool_or(z.in_scope) AS in_scope,
           (array_agg(z.region_id ORDER BY NOT z.in_scope, side.n))[1] AS region_id,
           jsonb_agg(z.label ORDER BY side.n) AS labels
    FROM (VALUES (1, o.zone_a), (2, o.zone_b)) AS side(n, zone_id)
    CROSS JOIN LATERAL (
        -- IN, not EXISTS: the subtree's regions are hashed once, not scanned for every zone.
        SELECT z.region_id, z.region_id IN (SELECT s.region_id FROM coverage_scope s) AS in_scope,
               jsonb_build_object('id', z.id, 'code', z.code, 'name', z.name,
                                  'share', round(CAST(o.area_m2 / NULLIF(f.area_m2, 0) AS numeric), 6)) AS label
        FROM zones z JOIN coverage_zone_facts f ON f.zone_id = z.id
        WHERE z.id = side.zone_id OFFSET 0
    ) z
) p
WHERE o.area_m2 > :tolerance_m2 AND p.in_scope
