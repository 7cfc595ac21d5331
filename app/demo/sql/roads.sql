-- A synthetic street network for routing benchmarks: an n × n grid of vertices spaced :spacing_deg
-- degrees around (:lon, :lat), each vertex nudged by up to a third of the spacing (a seeded hash, so the
-- streets are not ruler-straight), joined to its east and north neighbours. Every tenth line is a
-- primary road (faster driving). Vertex ids start at :first_id; edges carry osm_id = -(row * n + col + 1)
-- so that they can never be mistaken for OpenStreetMap ways. Lengths in metres, costs in seconds,
-- geometry EPSG:4326. Inserts into roads_vertices and roads_edges; returns the number of edges.
WITH grid AS (
    SELECT i, j, :first_id + i * :n + j AS id,
           :lon + (j - :n / 2.0) * :spacing_deg
               + :spacing_deg / 3 * ((abs(hashint8(:seed * 1000003 + i * :n + j)) % 2001) / 1000.0 - 1) AS lon,
           :lat + (i - :n / 2.0) * :spacing_deg
               + :spacing_deg / 3 * ((abs(hashint8(:seed * 7919 + i * :n + j)) % 2001) / 1000.0 - 1) AS lat
    FROM generate_series(0, :n - 1) AS i, generate_series(0, :n - 1) AS j
),
vertices AS (
    INSERT INTO roads_vertices (id, geom)
    SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326) FROM grid
    RETURNING id
),
pairs AS (
    SELECT a.i, a.j, 0 AS part, a.id AS source, b.id AS target, a.lon AS lon1, a.lat AS lat1,
           b.lon AS lon2, b.lat AS lat2, a.i % 10 = 0 AS primary_road
    FROM grid a JOIN grid b ON b.i = a.i AND b.j = a.j + 1
    UNION ALL
    SELECT a.i, a.j, 1, a.id, b.id, a.lon, a.lat, b.lon, b.lat, a.j % 10 = 0
    FROM grid a JOIN grid b ON b.j = a.j AND b.i = a.i + 1
),
shaped AS (
    SELECT p.*, ST_SetSRID(ST_MakeLine(ST_MakePoint(lon1, lat1), ST_MakePoint(lon2, lat2)), 4326) AS geom
    FROM pairs p
),
measured AS (
    SELECT s.*, ST_Length(CAST(s.geom AS geography)) AS len FROM shaped s
),
edges AS (
    INSERT INTO roads_edges (osm_id, part, source, target, highway, name, length_m,
                             cost_walk_s, reverse_cost_walk_s, cost_drive_s, reverse_cost_drive_s, geom)
    -- The vertices CTE must run first: the foreign keys check against it within this statement.
    SELECT -(m.i * :n + m.j + 1), m.part, m.source, m.target,
           CASE WHEN m.primary_road THEN 'primary' ELSE 'residential' END,
           CASE WHEN m.primary_road THEN '合成主干道' ELSE '合成街道' END,
           m.len, m.len / 1.25, m.len / 1.25,
           m.len / CASE WHEN m.primary_road THEN 50 / 3.6 ELSE 30 / 3.6 END,
           m.len / CASE WHEN m.primary_road THEN 50 / 3.6 ELSE 30 / 3.6 END,
           m.geom
    FROM measured m
    WHERE (SELECT count(*) FROM vertices) > 0
    RETURNING 1
)
SELECT count(*) FROM edges
