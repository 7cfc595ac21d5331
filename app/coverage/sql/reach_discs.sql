-- Fills the temporary table coverage_discs with the reach disc (EPSG:4326 polygon) of every service
-- centre that can reach the cells of region :region_id being computed (stale ones when :only_stale). The reach in metres is, in order: the request's override
-- for the centre's level (:overrides, JSON {level: m}), the centre's own reach_m, the level's default
-- (:defaults, GB 50180-2018 life circles). Discs are true to the metre on the ellipsoid
-- (geo_disc, migration 0017_geo_measures), not circles in degrees.
-- :west and :east pick the strip of cells being computed (queries.Strip): cells whose west edge lies in
-- [:west, :east) degrees, so that each connection builds only the discs around its own strip. The edge
-- is read from the stored box (&>, no detoasting), whose float rounding every share applies alike.
INSERT INTO coverage_discs (centre_id, reach_m, geom)
SELECT c.id, r.reach_m, geo_disc(c.geom, r.reach_m)
FROM service_centres c
CROSS JOIN LATERAL (
    SELECT COALESCE(
        CAST(CAST(:overrides AS jsonb) ->> c.level AS double precision),
        c.reach_m,
        CAST(CAST(:defaults AS jsonb) ->> c.level AS double precision),
        1000) AS reach_m
) r,
(SELECT ST_SetSRID(CAST(ST_Extent(geom) AS geometry), 4326) AS geom FROM coverage_cells
 WHERE province = :province AND region_id = :region_id AND (reach_stale OR NOT :only_stale)
   AND geom &> ST_SetSRID(ST_MakePoint(:west, 0), 4326)
   AND NOT geom &> ST_SetSRID(ST_MakePoint(:east, 0), 4326)) g
-- Only centres that can reach a cell being computed; a degree box at least as large as the widest
-- reach: east-west by the degree of longitude at the box's edge nearest a pole, which is the shortest,
-- north-south by a degree of latitude (at least 110.57 km).
WHERE c.geom && ST_Expand(g.geom,
                          :max_reach_m / (110000.0 * cos(radians(greatest(abs(ST_YMax(g.geom)),
                                                                          abs(ST_YMin(g.geom)))))),
                          :max_reach_m / 110000.0)
