-- Stores area (m²) and spill (the part outside the zone's own region, EPSG:4326, with its area in m²)
-- for every zone listed in the temporary table coverage_stale_zones (this connection's share of them,
-- with their regions), replacing facts the zone may still have (a queued zone is recomputed whatever it
-- holds); its overlap pairs are left to overlap_pairs.sql (pairs_done false). Then the
-- zones leave the queue, each only if its queue number is still the one read: an edit since then
-- renewed it, and the zone waits for the next refresh. Most zones lie inside their region's outline,
-- widened by 1e-9 degrees (about 0.1 mm; region_outlines, kept by a trigger, migration
-- 0018_region_pieces): one ST_Covers against it, prepared once per region, tells (a zone of a Fuzhou
-- district in about 4 µs). The widening takes in the floating-point dust of a zone drawn along the
-- outline (at most 0.1 m² per km of edge, far below any tolerance). Only a zone that does cross the
-- outline has its spill subtracted, with the outline's pieces of a few hundred vertices (region_pieces)
-- instead of the whole outline.
-- Facts are global, so two regions refreshed at once may compute the same stale zone: the second
-- writer skips it. Rows are locked and written in zone order, and a refresh takes cells, then facts,
-- then queue rows, as an edit's trigger does, so no two of them wait on each other in a cycle.
WITH old AS (
    SELECT f.zone_id FROM coverage_zone_facts f JOIN coverage_stale_zones t ON t.id = f.zone_id
    ORDER BY f.zone_id FOR UPDATE OF f
)
-- Dropping the facts row drops the zone's overlap pairs too (cascade).
DELETE FROM coverage_zone_facts f USING old WHERE f.zone_id = old.zone_id;

INSERT INTO coverage_zone_facts (zone_id, area_m2, spill, spill_m2, pairs_done)
-- The zones' own widened outlines, read once (each row would otherwise detoast its outline again).
WITH outlines AS MATERIALIZED (
    SELECT o.region_id AS id, o.widened AS geom FROM region_outlines o
    WHERE o.region_id IN (SELECT region_id FROM coverage_stale_zones)
),
-- Region by region (OFFSET 0 keeps the order below the test): ST_Covers prepares the outline once and
-- keeps it while consecutive zones fall in it.
listed AS (
    SELECT z.id, z.region_id, z.geom FROM coverage_stale_zones t JOIN zones z ON z.id = t.id
    ORDER BY z.region_id, z.id OFFSET 0
)
SELECT z.id, geo_area_m2(z.geom), s.spill, COALESCE(geo_area_m2(s.spill), 0),
       false
FROM listed z
LEFT JOIN outlines g ON g.id = z.region_id
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN ST_Covers(g.geom, z.geom) THEN NULL
        ELSE (SELECT NULLIF(ST_Multi(ST_CollectionExtract(
                         ST_Difference(z.geom, COALESCE(ST_Union(p.geom), 'SRID=4326;POLYGON EMPTY'::geometry)), 3)),
                     'SRID=4326;MULTIPOLYGON EMPTY'::geometry)
              FROM region_pieces p WHERE p.region_id = z.region_id AND p.geom && z.geom)
    END AS spill
    -- OFFSET 0 keeps the subquery whole: pulled up, the spill would be computed once per use.
    OFFSET 0
) s
ORDER BY z.id
ON CONFLICT (zone_id) DO NOTHING;

WITH done AS (
    -- Locked in zone order; a row whose number an edit renewed since it was read no longer matches.
    SELECT q.zone_id FROM coverage_zone_queue q JOIN coverage_stale_zones t ON t.id = q.zone_id
    WHERE q.seq = t.seq
    ORDER BY q.zone_id FOR UPDATE OF q
)
DELETE FROM coverage_zone_queue q USING done WHERE q.zone_id = done.zone_id
