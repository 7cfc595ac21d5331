-- Covered and service-reached shares of each direct child of region :region_id (for a choropleth),
-- summed over the region's cells tagged with that child: the child's area inside the region, its
-- blind and reach-gap areas, all in m².
SELECT ch.adcode, ch.name, ch.level,
       COALESCE(sum(c.area_m2), 0) AS area_m2,
       COALESCE(sum(c.blind_m2), 0) AS blind_m2,
       COALESCE(sum(c.reach_gap_m2), 0) AS reach_gap_m2
FROM regions ch
LEFT JOIN coverage_cells c ON c.province = :province AND c.region_id = :region_id AND c.child_id = ch.id
WHERE ch.parent_id = :region_id
GROUP BY ch.id, ch.adcode, ch.name, ch.level
ORDER BY ch.adcode
