-- Adds the per-zone findings of the analysed subtree (zones whose region is in coverage_scope) to
-- coverage_found: unassigned zones, zones whose organization is inactive, zones assigned to an
-- organization of an unrelated region (neither an ancestor nor a descendant of the zone's region; for
-- an organization without a region, one whose point lies outside the zone's region), and zones whose
-- part outside their region exceeds :tolerance_m2 (geometry: that part, EPSG:4326; areas in m²).
WITH scoped AS (
    SELECT z.id, z.code, z.name, z.region_id, z.org_id, z.geom, f.area_m2, f.spill, f.spill_m2,
           jsonb_build_array(jsonb_build_object('id', z.id, 'code', z.code, 'name', z.name)) AS zones
    FROM zones z
    JOIN coverage_scope s ON s.region_id = z.region_id
    JOIN coverage_zone_facts f ON f.zone_id = z.id
    -- The subtree lies in one province, and so does each zone's organization (fk_zones_province_org).
    WHERE z.province = :province
),
assigned AS (
    SELECT sc.*, o.code AS org_code, o.name AS org_name, o.active, o.region_id AS org_region_id,
           o.geom AS org_geom, og.adcode AS org_adcode
    FROM scoped sc
    JOIN organizations o ON o.province = :province AND o.id = sc.org_id
    LEFT JOIN regions og ON og.id = o.region_id
)
INSERT INTO coverage_found (kind, region_id, geom, area_m2, zone_ids, detail)
SELECT 'unassigned', region_id, geom, area_m2, ARRAY[id], jsonb_build_object('zones', zones)
FROM scoped WHERE org_id IS NULL
UNION ALL
SELECT 'inactive_org', region_id, geom, area_m2, ARRAY[id],
       jsonb_build_object('zones', zones, 'org', jsonb_build_object('code', org_code, 'name', org_name))
FROM assigned WHERE NOT active
UNION ALL
SELECT 'org_outside_region', a.region_id, a.geom, a.area_m2, ARRAY[a.id],
       jsonb_build_object('zones', a.zones,
                          'org', jsonb_build_object('code', a.org_code, 'name', a.org_name,
                                                    'adcode', a.org_adcode))
FROM assigned a
WHERE CASE
    WHEN a.org_region_id IS NOT NULL THEN NOT EXISTS (
        SELECT 1 FROM coverage_closure k
        WHERE (k.ancestor = a.org_region_id AND k.descendant = a.region_id)
           OR (k.ancestor = a.region_id AND k.descendant = a.org_region_id))
    WHEN a.org_geom IS NOT NULL THEN NOT EXISTS (
        SELECT 1 FROM regions g WHERE g.id = a.region_id AND ST_Covers(g.geom, a.org_geom))
    ELSE false
END
UNION ALL
SELECT 'spill', region_id, spill, spill_m2, ARRAY[id],
       jsonb_build_object('zones', zones, 'zone_area_m2', round(CAST(area_m2 AS numeric), 1),
                          'share', round(CAST(spill_m2 / NULLIF(area_m2, 0) AS numeric), 6))
FROM scoped WHERE spill_m2 > :tolerance_m2
