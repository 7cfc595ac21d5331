-- Towns of the generator: n_towns seeded points inside each leaf region under the root regions, each with
-- its catchment (a disc of radius_m metres clipped to the region, largest piece). Fills the session's temp table
-- gen_towns(id, region_id, adcode, region_name, seq, geom Point 4326, area Polygon 4326).
WITH RECURSIVE tree AS (
    SELECT id FROM regions WHERE adcode = ANY(CAST(:roots AS text[]))
    UNION ALL
    SELECT r.id FROM regions r JOIN tree ON r.parent_id = tree.id
),
leaves AS (
    SELECT r.id, r.adcode, r.name, r.geom
    FROM regions r JOIN tree USING (id)
    WHERE NOT EXISTS (SELECT 1 FROM regions c WHERE c.parent_id = r.id)
),
spots AS (
    -- The seed mixes in the adcode so that a district gets the same towns whatever else is loaded.
    SELECT l.id AS region_id, l.adcode, l.name, l.geom AS region_geom, p.path[1] AS seq, p.geom
    FROM leaves l,
         ST_Dump(ST_GeneratePoints(l.geom, :n_towns,
                 CAST((CAST(:seed AS bigint) * 7919 + CAST(l.adcode AS bigint)) % 2000000000 + 1 AS integer))) p
)
INSERT INTO gen_towns (id, region_id, adcode, region_name, seq, geom, area)
SELECT row_number() OVER (ORDER BY s.adcode, s.seq), s.region_id, s.adcode, s.name, s.seq, s.geom, part.geom
FROM spots s,
     -- Only the largest piece of the clipped disc: ST_GeneratePoints spreads points over the pieces of a
     -- MultiPolygon by rounded area shares, which would make the counts inexact.
     LATERAL (
         SELECT d.geom FROM ST_Dump(ST_CollectionExtract(ST_Intersection(
             CAST(ST_Buffer(CAST(s.geom AS geography), :radius_m) AS geometry), s.region_geom), 3)) d
         ORDER BY ST_Area(d.geom) DESC LIMIT 1
     ) part
