-- Shortest-time paths between vertex pairs on the road network, all pairs in one pgr_dijkstra call.
-- Parameters: the edge-query parameters (:cost, :reverse, :x1..:y2 box in EPSG:4326 degrees) and
-- :sources / :targets (bigint arrays, pair i = sources[i] -> targets[i]).
-- Returns per pair: source, target, length_m (metres along the roads) and geometry (GeoJSON LineString,
-- EPSG:4326), each edge turned to the direction of travel. Pairs with no path are missing.
WITH steps AS (
    SELECT d.start_vid, d.end_vid, d.path_seq, d.node, d.edge
    FROM pgr_dijkstra(
        :edges_sql,
        format('SELECT s AS source, t AS target FROM unnest(%L::bigint[], %L::bigint[]) AS u(s, t)',
               CAST(:sources AS bigint[]), CAST(:targets AS bigint[])),
        directed => true
    ) AS d
    WHERE d.edge > 0
)
SELECT st.start_vid AS source,
       st.end_vid AS target,
       sum(e.length_m) AS length_m,
       ST_AsGeoJSON(
           ST_MakeLine(CASE WHEN st.node = e.source THEN e.geom ELSE ST_Reverse(e.geom) END
                       ORDER BY st.path_seq),
           7
       )::json AS geometry
FROM steps st
JOIN roads_edges e ON e.id = st.edge
GROUP BY st.start_vid, st.end_vid
