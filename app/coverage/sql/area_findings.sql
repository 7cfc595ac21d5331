-- Turns the merged pieces of kind :kind in coverage_merged (EPSG:4326 polygons, areas in m²) larger
-- than :tolerance_m2 into findings in the child region they were merged in (or the analysed region
-- :region_id), with their centroid and, as suggested owners, the three nearest active organizations
-- (blind zones) or the three nearest service centres (reach gaps), with geodesic distances in metres
-- to the piece's closest point. The <-> operator picks five candidates through the GiST index.
INSERT INTO coverage_found (kind, region_id, geom, area_m2, zone_ids, detail)
SELECT m.kind, COALESCE(m.child_id, :region_id), m.geom, m.area_m2, '{}',
       jsonb_build_object(
           'centroid', jsonb_build_array(round(CAST(ST_X(ST_Centroid(m.geom)) AS numeric), 7),
                                         round(CAST(ST_Y(ST_Centroid(m.geom)) AS numeric), 7)),
           CASE WHEN m.kind = 'blind' THEN 'suggested_orgs' ELSE 'nearest_centres' END,
           COALESCE(near.list, '[]'::jsonb))
FROM coverage_merged m
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object('id', c.id, 'code', c.code, 'name', c.name,
                                        'distance_m', round(CAST(c.distance_m AS numeric), 1))
                     ORDER BY c.distance_m) AS list
    FROM (
        SELECT k.id, k.code, k.name,
               -- The closest point is found in the plane (one pass over the piece); only the distance
               -- between the two points is geodesic, which avoids a geography walk of a huge piece.
               CASE WHEN ST_Intersects(k.geom, m.geom) THEN 0
                    ELSE ST_Distance(CAST(k.geom AS geography),
                                     CAST(ST_ClosestPoint(m.geom, k.geom) AS geography)) END AS distance_m
        FROM (
            (SELECT o.id, o.code, o.name, o.geom FROM organizations o
             WHERE m.kind = 'blind' AND o.active AND o.geom IS NOT NULL ORDER BY o.geom <-> m.geom LIMIT 5)
            UNION ALL
            (SELECT sc.id, sc.code, sc.name, sc.geom FROM service_centres sc
             WHERE m.kind = 'reach_gap' ORDER BY sc.geom <-> m.geom LIMIT 5)
        ) k
        ORDER BY distance_m LIMIT 3
    ) c
) near ON true
WHERE m.kind = :kind AND m.area_m2 > :tolerance_m2
