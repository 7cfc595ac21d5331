-- Adds the per-zone findings of the analysed subtree (zones whose region is in coverage_scope) to
-- coverage_found: unassigned zones, zones whose organization is inactive, zones assigned to an
-- organization of an unrelated region (neither an ancestor nor a descendant of the zone's region; for
-- an organization without a region, one whose point lies outside the zone's region), and zones whose
-- part outside their region exceeds :tolerance_m2 (geometry: that part, EPSG:4326; areas in m²).
-- The zones are sifted on narrow rows (ids, flags, region pairs); geometry and labels are read only for
-- the few that are findings. A province has about a hundred regions, so each pair of a zone's region and
-- its organization's region is looked up in the closure once, not once per zone.
WITH scoped AS MATERIALIZED (
    SELECT z.id, z.region_id, z.org_id, f.spill_m2
    FROM zones z
    JOIN coverage_scope s ON s.region_id = z.region_id
    JOIN coverage_zone_facts f ON f.zone_id = z.id
    -- The subtree lies in one province, and so does each zone's organization (fk_zones_province_org).
    WHERE z.province = :province
),
assigned AS MATERIALIZED (
    SELECT sc.id, sc.region_id, o.id AS org_id, o.active, o.region_id AS org_region_id,
           o.region_id IS NULL AND o.geom IS NOT NULL AS placed_only
    FROM scoped sc
    JOIN organizations o ON o.province = :province AND o.id = sc.org_id
),
-- MATERIALIZED: inlined, the closure test ran once per zone (4,892 in the Fuzhou benchmark, 8 ms), not
-- once per distinct pair of regions (13).
unrelated AS MATERIALIZED (
    SELECT p.region_id, p.org_region_id
    FROM (SELECT DISTINCT region_id, org_region_id FROM assigned WHERE org_region_id IS NOT NULL) p
    WHERE NOT EXISTS (
        SELECT 1 FROM coverage_closure k
        WHERE (k.ancestor = p.org_region_id AND k.descendant = p.region_id)
           OR (k.ancestor = p.region_id AND k.descendant = p.org_region_id))
),
found AS (
    SELECT 'unassigned' AS kind, id FROM scoped WHERE org_id IS NULL
    UNION ALL
    SELECT 'inactive_org', id FROM assigned WHERE NOT active
    UNION ALL
    SELECT 'org_outside_region', a.id FROM assigned a JOIN unrelated u USING (region_id, org_region_id)
    UNION ALL
    SELECT 'org_outside_region', a.id
    FROM assigned a
    JOIN organizations o ON o.province = :province AND o.id = a.org_id
    JOIN regions g ON g.id = a.region_id
    WHERE a.placed_only AND NOT ST_Covers(g.geom, o.geom)
    UNION ALL
    SELECT 'spill', id FROM scoped WHERE spill_m2 > :tolerance_m2
)
INSERT INTO coverage_found (kind, region_id, geom, area_m2, zone_ids, detail)
SELECT fd.kind, z.region_id,
       CASE WHEN fd.kind = 'spill' THEN f.spill ELSE z.geom END,
       CASE WHEN fd.kind = 'spill' THEN f.spill_m2 ELSE f.area_m2 END,
       ARRAY[z.id],
       jsonb_build_object('zones', jsonb_build_array(jsonb_build_object('id', z.id, 'code', z.code,
                                                                         'name', z.name)))
       || CASE fd.kind
              WHEN 'spill' THEN jsonb_build_object(
                  'zone_area_m2', round(CAST(f.area_m2 AS numeric), 1),
                  'share', round(CAST(f.spill_m2 / NULLIF(f.area_m2, 0) AS numeric), 6))
              WHEN 'inactive_org' THEN jsonb_build_object(
                  'org', jsonb_build_object('code', o.code, 'name', o.name))
              WHEN 'org_outside_region' THEN jsonb_build_object(
                  'org', jsonb_build_object('code', o.code, 'name', o.name, 'adcode', o.adcode))
              ELSE '{}'::jsonb
          END
-- Looked up finding by finding (LATERAL, kept apart by OFFSET 0): the planner cannot tell how few they
-- are, and would hash the whole zones, facts and organizations tables instead.
FROM found fd
CROSS JOIN LATERAL (SELECT z.id, z.code, z.name, z.region_id, z.org_id, z.geom
                    FROM zones z WHERE z.province = :province AND z.id = fd.id OFFSET 0) z
CROSS JOIN LATERAL (SELECT f.area_m2, f.spill, f.spill_m2
                    FROM coverage_zone_facts f WHERE f.zone_id = fd.id OFFSET 0) f
LEFT JOIN LATERAL (SELECT o.code, o.name, og.adcode
                   FROM organizations o LEFT JOIN regions og ON og.id = o.region_id
                   WHERE o.province = :province AND o.id = z.org_id OFFSET 0) o ON true
