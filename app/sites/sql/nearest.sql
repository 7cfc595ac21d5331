-- Rows :skip+1 .. :k of {table} in order of geodesic distance from :origin (EPSG:4326 point),
-- optionally only those within :max_m metres.  Returns {columns} plus distance_m, the
-- distance on the WGS84 spheroid in metres.  {filters} is a condition on t, made of fragments we
-- wrote ourselves with bound parameters.  When :use_knn is false, step 1 is skipped and the bound
-- is :max_m alone (the "all within a radius" search).
--
-- Why this is exact while only touching the geometry GiST index:
--   Step 1 takes the :k rows nearest in degree space straight off the GiST index (KNN <->) and
--   measures them on the spheroid.  Their largest distance d is an upper bound on the true k-th
--   geodesic distance, since k rows lie within d.  So every one of the true k nearest lies within d.
--   Step 2 fetches every row within d: first by bounding box on the same index, then exactly with
--   ST_DWithin on geography, and re-ranks them by geodesic distance.
--   The box cannot miss a row within d.  Along any path of length d, latitude changes by at most
--   d / M_min radians, where M_min = a(1 - e^2) = 6,335,439 m is the smallest meridian radius of
--   curvature.  The path then stays below latitude phi_max = |lat0| + that change, where a parallel
--   has radius N cos(phi) >= a cos(phi_max).  So longitude changes by at most d / (a cos(phi_max))
--   radians, with a = 6,378,137 m.  Near a pole or the antimeridian the box widens to every
--   longitude.  d is padded by 1 mm plus 1e-9 relative, so the k-th row itself passes ST_DWithin.
-- The origin is written out as a constant each time: the GiST KNN ordering needs a constant
-- operand, not a column of a joined CTE.  The CTEs are MATERIALIZED so that step 1 runs once.
WITH candidates AS MATERIALIZED (
    SELECT ST_Distance(t.geom::geography, CAST(:origin AS geography)) AS d_m
    FROM {table} t
    WHERE :use_knn AND {filters}
    ORDER BY t.geom <-> CAST(:origin AS geometry)
    LIMIT :k
),
reach AS MATERIALIZED (
    SELECT CASE WHEN :use_knn
                THEN least((SELECT max(d_m) FROM candidates), CAST(:max_m AS float8))
                ELSE CAST(:max_m AS float8) END * (1 + 1e-9) + 0.001 AS d_m
),
box AS MATERIALIZED (
    SELECT r.d_m, degrees(r.d_m / 6335439.0) AS dlat,
           CASE WHEN p.phi_max >= 89.0
                  OR p.abs_lon + degrees(r.d_m / (6378137.0 * cos(radians(p.phi_max)))) >= 180.0
                THEN 360.0
                ELSE degrees(r.d_m / (6378137.0 * cos(radians(p.phi_max)))) END AS dlon
    FROM reach AS r,
         LATERAL (SELECT least(abs(ST_Y(CAST(:origin AS geometry))) + degrees(r.d_m / 6335439.0), 90.0)
                             AS phi_max,
                         abs(ST_X(CAST(:origin AS geometry))) AS abs_lon) AS p
)
SELECT {columns}, ST_Distance(t.geom::geography, CAST(:origin AS geography)) AS distance_m
FROM {table} t, box b
WHERE {filters}
  AND t.geom && ST_Expand(CAST(:origin AS geometry), b.dlon, b.dlat)
  AND ST_DWithin(t.geom::geography, CAST(:origin AS geography), b.d_m)
ORDER BY distance_m, t.id
LIMIT :k - :skip OFFSET :skip
