-- Adds to coverage_found the stored overlaps (EPSG:4326, m²) above :tolerance_m2 in which at least one
-- zone belongs to the analysed subtree, with the share of each zone's area the overlap takes; the
-- region is the own region of the first zone that belongs to the subtree.
INSERT INTO coverage_found (kind, region_id, geom, area_m2, zone_ids, detail)
SELECT 'overlap',
       CASE WHEN EXISTS (SELECT 1 FROM coverage_scope s WHERE s.region_id = za.region_id)
            THEN za.region_id ELSE zb.region_id END,
       o.geom, o.area_m2, ARRAY[o.zone_a, o.zone_b],
       jsonb_build_object(
           'zones', jsonb_build_array(
               jsonb_build_object('id', za.id, 'code', za.code, 'name', za.name,
                                  'share', round(CAST(o.area_m2 / NULLIF(fa.area_m2, 0) AS numeric), 6)),
               jsonb_build_object('id', zb.id, 'code', zb.code, 'name', zb.name,
                                  'share', round(CAST(o.area_m2 / NULLIF(fb.area_m2, 0) AS numeric), 6))))
FROM coverage_overlaps o
JOIN zones za ON za.id = o.zone_a
JOIN zones zb ON zb.id = o.zone_b
JOIN coverage_zone_facts fa ON fa.zone_id = o.zone_a
JOIN coverage_zone_facts fb ON fb.zone_id = o.zone_b
WHERE o.area_m2 > :tolerance_m2
  AND (EXISTS (SELECT 1 FROM coverage_scope s WHERE s.region_id = za.region_id)
       OR EXISTS (SELECT 1 FROM coverage_scope s WHERE s.region_id = zb.region_id))
