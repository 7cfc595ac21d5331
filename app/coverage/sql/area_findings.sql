-- Turns the merged pieces of kind :kind of region :region_id in {pieces} (EPSG:4326 polygons, areas in
-- m²) larger than :tolerance_m2 into findings in the child region they were merged in (or the analysed
-- region), then answers how many pieces, and how much area, fell at or below the tolerance (slivers).
-- The pieces' details are filled first (piece_details.sql).
INSERT INTO coverage_found (kind, region_id, geom, area_m2, zone_ids, detail)
SELECT kind, COALESCE(child_id, :region_id), geom, area_m2, CAST(ARRAY[] AS integer[]), detail
FROM {pieces}
WHERE province = :province AND region_id = :region_id AND kind = :kind AND area_m2 > :tolerance_m2;

SELECT count(*) AS n, COALESCE(sum(area_m2), 0) AS area_m2
FROM {pieces}
WHERE province = :province AND region_id = :region_id AND kind = :kind AND area_m2 <= :tolerance_m2;
