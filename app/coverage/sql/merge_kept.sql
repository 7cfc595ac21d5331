-- Brings the kept merged pieces of kind :kind of region :region_id (coverage_merged_pieces, EPSG:4326
-- polygons, m²) up to date with its cells' stored parts ({part}), merging again only around the cells
-- recomputed since the last merge (NOT {flag}); on a region's first run every cell is such a cell.
--
-- A kept piece is a maximal union of cell polygons, so a piece that touches no recomputed cell cannot
-- change, and nothing new can join it: it stays. A piece whose box meets a recomputed cell is taken
-- out ("gone"); the new merge unions the recomputed cells' parts with the polygons of the other cells
-- that made up the gone pieces (each such polygon lies wholly inside one piece, so its inner point
-- tells which). Pieces that come out exactly as they were keep their details (suggested owners).
-- Every statement on the kept tables names the region's :province (the shard key).
DROP TABLE IF EXISTS coverage_gone;
CREATE TEMP TABLE coverage_gone (child_id integer, geom geometry COMPRESSION lz4, detail jsonb) ON COMMIT DROP;

WITH gone AS (
    DELETE FROM coverage_merged_pieces p
    WHERE p.province = :province AND p.region_id = :region_id AND p.kind = :kind
      AND EXISTS (SELECT 1 FROM coverage_cells c
                  WHERE c.province = :province AND c.region_id = :region_id AND NOT c.{flag}
                    AND c.geom && p.geom)
    RETURNING p.child_id, p.geom, p.detail
)
INSERT INTO coverage_gone SELECT child_id, geom, detail FROM gone;

-- The union is a zero buffer of the collected parts: parts of neighbouring cells only touch along the
-- seams, and a buffer nodes all their edges in one pass where a cascaded union nodes them again at
-- every level of its tree (the Fuzhou benchmark's 559 reach-gap cells: 52 ms against 144 ms, the same
-- 316 pieces, vertices and area). The parts are valid polygons, which a zero buffer keeps as they are;
-- should its noding fail, GEOS snap-rounds to 1e-9 degrees, as coverage_uncovered does.
INSERT INTO coverage_merged (province, region_id, kind, child_id, geom, area_m2)
SELECT :province, :region_id, :kind, d.child_id, d.geom, geo_area_m2(d.geom)
FROM (
    SELECT p.child_id, (ST_Dump(ST_Buffer(ST_Collect(p.geom), 0))).geom AS geom
    FROM (
        SELECT c.child_id, c.{part} AS geom
        FROM coverage_cells c
        WHERE c.province = :province AND c.region_id = :region_id AND NOT c.{flag} AND c.{part} IS NOT NULL
        UNION ALL
        -- Gone piece by gone piece, so the piece stays prepared while its cells' polygons are tested.
        SELECT g.child_id, x.geom
        FROM coverage_gone g
        JOIN coverage_cells c
          ON c.province = :province AND c.region_id = :region_id AND c.{flag} AND c.{part} IS NOT NULL AND c.geom && g.geom
         AND c.child_id IS NOT DISTINCT FROM g.child_id
        CROSS JOIN LATERAL ST_Dump(c.{part}) x
        WHERE ST_Intersects(g.geom, ST_PointOnSurface(x.geom))
    ) p
    GROUP BY p.child_id
) d
WHERE ST_GeometryType(d.geom) = 'ST_Polygon';

-- Digests once per row: joined inline, each would be computed again for every pair.
WITH old AS MATERIALIZED (
    SELECT md5(ST_AsBinary(geom)) AS digest, detail FROM coverage_gone WHERE detail IS NOT NULL
),
fresh AS MATERIALIZED (
    SELECT ctid AS row_id, md5(ST_AsBinary(geom)) AS digest FROM coverage_merged
    WHERE region_id = :region_id AND kind = :kind
)
UPDATE coverage_merged m SET detail = o.detail
FROM fresh f JOIN old o ON o.digest = f.digest
WHERE m.ctid = f.row_id;

WITH moved AS (DELETE FROM coverage_merged WHERE region_id = :region_id AND kind = :kind RETURNING *)
INSERT INTO coverage_merged_pieces (province, region_id, kind, child_id, geom, area_m2, detail)
SELECT province, region_id, kind, child_id, geom, area_m2, detail FROM moved;

-- Locked in id order, as the blind and reach shares lock theirs (refresh_blind.sql): the reach gaps' merge
-- runs beside the blind shares, and two updates that take the same cells in different orders deadlock.
WITH merged AS MATERIALIZED (
    SELECT id FROM coverage_cells
    WHERE province = :province AND region_id = :region_id AND NOT {flag}
    ORDER BY id FOR NO KEY UPDATE
)
UPDATE coverage_cells c SET {flag} = true
FROM merged m
WHERE c.province = :province AND c.id = m.id;
