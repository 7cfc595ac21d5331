-- POIs along a route: those of the given categories within :within_m metres of the path.
-- Parameters: :path (GeoJSON LineString, EPSG:4326), :within_m (metres), :categories (text array).
-- Returns id, code, name, category, address, lon/lat (EPSG:4326), distance_m to the path (spheroid)
-- and along (0..1, the nearest position on the path), ordered along the path.
WITH path AS (
    SELECT ST_SetSRID(ST_GeomFromGeoJSON(:path), 4326) AS geom
)
SELECT p.id, p.code, p.name, p.category, p.address,
       ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
       ST_Distance(p.geom::geography, path.geom::geography) AS distance_m,
       ST_LineLocatePoint(path.geom, p.geom) AS along
FROM pois p, path
-- The box test runs on the pois GiST index; a metre is under 1e-5 degrees at these latitudes, and the
-- box is widened by 1/cos(lat) so that it always holds the exact spheroid test below.
WHERE p.geom && ST_Expand(path.geom, :within_m / 111000.0 / greatest(cos(radians(greatest(abs(ST_YMax(path.geom)), abs(ST_YMin(path.geom))))), 0.1))
  AND p.category = ANY(CAST(:categories AS text[]))
  AND ST_DWithin(p.geom::geography, path.geom::geography, :within_m)
ORDER BY along, distance_m
