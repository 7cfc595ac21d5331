-- Grid zones of one leaf region: Voronoi cells of n seeded points (half uniform over the region, half
-- around its towns, so the grid is finer where people live) clipped to the region. Cells listed in
-- :gap_seqs are left out (blind spots), cells in :overlap_seqs grow into their neighbours, cells in
-- :unassigned_seqs get no responsible organization; the others go round the region's branches.
-- Inserts into zones (geom MultiPolygon, EPSG:4326) and returns the number of rows inserted.
WITH region AS (SELECT id, adcode, name, geom FROM regions WHERE id = :region_id),
seeds AS (
    SELECT ST_Collect(
        ST_GeneratePoints(region.geom, :n_uniform, :seed),
        (SELECT ST_GeneratePoints(ST_Union(t.area), :n_towns, :seed + 1)
         FROM gen_towns t WHERE t.region_id = region.id)) AS pts
    FROM region
),
cells AS (
    SELECT (ST_Dump(ST_VoronoiPolygons(seeds.pts, 0, region.geom))).geom AS cell FROM seeds, region
),
-- Every cell holds its seed, which lies in the region, so every cell meets the region.
numbered AS (
    SELECT row_number() OVER (ORDER BY ST_YMax(cell) DESC, ST_XMin(cell)) AS seq, cell FROM cells
),
-- The region's outline and area cut into small pieces: a coastal outline has thousands of vertices, and
-- testing or clipping a cell against a few small pieces is far cheaper than against the whole.
outline AS MATERIALIZED (SELECT ST_Subdivide(ST_Boundary(region.geom), 64) AS geom FROM region),
pieces AS MATERIALIZED (SELECT ST_Subdivide(region.geom, 96) AS geom FROM region),
grown AS (
    SELECT n.seq,
           -- Growing by 15 % of the cell's width overlaps the neighbours without swallowing them.
           CASE WHEN n.seq = ANY(CAST(:overlap_seqs AS integer[]))
                THEN ST_Buffer(n.cell, 0.15 * sqrt(ST_Area(n.cell))) ELSE n.cell END AS cell
    FROM numbered n
    WHERE NOT n.seq = ANY(CAST(:gap_seqs AS integer[]))
),
shaped AS (
    -- A cell that does not cross the outline lies wholly inside (it holds its seed) and is kept as is.
    SELECT g.seq,
           CASE WHEN NOT EXISTS (SELECT 1 FROM outline o WHERE o.geom && g.cell AND ST_Intersects(o.geom, g.cell))
                THEN g.cell
                ELSE (SELECT ST_Union(ST_Intersection(g.cell, p.geom)) FROM pieces p
                      WHERE p.geom && g.cell AND ST_Intersects(p.geom, g.cell)) END AS geom
    FROM grown g
),
owners AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn, count(*) OVER () AS n
    FROM organizations
    WHERE region_id = :region_id AND kind IN ('branch', 'general_branch')
),
inserted AS (
    INSERT INTO zones (code, name, level, region_id, org_id, grid_worker, grid_worker_phone, geom)
    SELECT region.adcode || lpad(CAST(s.seq AS text), 7, '0'),
           region.name || '第' || s.seq || '网格',
           'grid',
           region.id,
           CASE WHEN s.seq = ANY(CAST(:unassigned_seqs AS integer[])) THEN NULL
                ELSE (SELECT o.id FROM owners o WHERE o.rn = s.seq % o.n) END,
           substr(CAST(:surnames AS text), CAST(1 + s.seq % char_length(CAST(:surnames AS text)) AS integer), 1)
               || (CAST(:given AS text[]))[1 + (s.seq * 7) % cardinality(CAST(:given AS text[]))],
           -- The 1390000 prefix marks generated numbers as fake.
           '1390000' || lpad(CAST(s.seq % 10000 AS text), 4, '0'),
           ST_Multi(CASE WHEN ST_IsValid(s.geom) THEN ST_CollectionExtract(s.geom, 3)
                         ELSE ST_CollectionExtract(ST_MakeValid(s.geom), 3) END)
    FROM shaped s, region
    WHERE s.geom IS NOT NULL AND NOT ST_IsEmpty(s.geom)
    RETURNING 1
)
SELECT count(*) FROM inserted
