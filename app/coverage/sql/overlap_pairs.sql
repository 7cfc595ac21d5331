-- Stores the shared part (EPSG:4326 MultiPolygon, area in m²) of every pair of zones that involves a
-- zone whose facts say its pairs are not done yet (pairs_done false), taking the share of those zones
-- whose id modulo :parts is :part, then marks that share done (a second statement). ST_Relate with
-- '2********' keeps only pairs whose interiors meet in an area, so neighbours that merely share an edge
-- never reach ST_Intersection. A pair of two such zones is computed once, from its lower id, whichever
-- share that one is in. A pair is stored only with both zones' facts rows (which coverage_overlaps
-- refers to), held by a key-share lock: a partner without facts, or whose facts an edit is deleting at
-- that moment, is passed over instead of failing the foreign key, and the pair comes from the
-- partner's side once it is computed (the edit queues it).
WITH pairs AS MATERIALIZED (
    SELECT s.id AS a, z.id AS b, s.geom AS ga, z.geom AS gb
    FROM coverage_zone_facts t
    JOIN zones s ON s.id = t.zone_id
    JOIN zones z ON z.geom && s.geom AND z.id <> s.id
    JOIN coverage_zone_facts fz ON fz.zone_id = z.id
    WHERE NOT t.pairs_done AND t.zone_id % :parts = :part
      -- CASE fixes the order: the planner would run the costly ST_Relate before the cheap id test.
      AND CASE WHEN z.id < s.id AND NOT fz.pairs_done THEN false
               ELSE ST_Relate(s.geom, z.geom, '2********') END
    FOR KEY SHARE OF t, fz
),
-- MATERIALIZED: inlined, the intersection would be computed again for each use of geom below (a share
-- of the Fuzhou benchmark: 127 ms against 139 ms, fastest of 15).
shared AS MATERIALIZED (
    SELECT least(a, b) AS zone_a, greatest(a, b) AS zone_b,
           ST_Multi(ST_CollectionExtract(ST_Intersection(ga, gb), 3)) AS geom
    FROM pairs
)
-- A shared part that vanishes when shrunk by :grid_deg degrees (about 0.1 mm) is floating-point dust,
-- not an overlap. Two zones drawn on the same straight line can overlap by a zero-width triangle that the
-- spheroid, whose edges bow away from the line, would measure at 100 m² over 3 km (seen in generated
-- data). Half the pairs ST_Relate lets through in the Fuzhou benchmark are such dust; shrinking their
-- small shared part costs about what shrinking a whole zone to test the pair first did.
INSERT INTO coverage_overlaps (zone_a, zone_b, geom, area_m2)
SELECT zone_a, zone_b, geom, geo_area_m2(geom)
FROM shared
WHERE NOT ST_IsEmpty(ST_Buffer(geom, -CAST(:grid_deg AS float8)))
ORDER BY zone_a, zone_b
ON CONFLICT DO NOTHING;

-- A statement of its own: in the same statement the update would run first, and the locks above would
-- then pass over the rows it had changed.
UPDATE coverage_zone_facts SET pairs_done = true
WHERE NOT pairs_done AND zone_id % :parts = :part
