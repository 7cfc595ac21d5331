-- Fills the detail of the merged pieces of kind :kind of region :region_id in {pieces} larger than
-- :tolerance_m2 that have none yet: centroid, and the three nearest organizations or centres as
-- suggested owners, by coverage_piece_detail (migration 0008_coverage_merged). It is kept with the piece
-- until an edit of those organizations or centres clears it. {share} takes one connection's share of
-- the kept pieces (id modulo :parts equals :part), or all of them.
UPDATE {pieces} SET detail = coverage_piece_detail(kind, geom)
WHERE province = :province AND region_id = :region_id AND kind = :kind AND area_m2 > :tolerance_m2
  AND detail IS NULL AND {share}
