"""coverage_uncovered cuts every polygon to the cell's box before the union, and loses its vertex cap.

The union of the zones (or reach discs) whose box meets a cell took most of a blind or reach refresh,
and many of the vertices it noded lay outside the cell. Each polygon is now cut to the cell's box,
widened by 1e-7 degrees (about 1 cm) so that no cut line runs along the cell's own edge, with
ST_ClipByBox2D, which walks the rings once and builds no topology. Measured over the 561 cells of the
Fuzhou benchmark (4,994 zones, 2,376 centres), median of five: blind parts 1.12 to 0.93 s, reach gaps
0.67 to 0.57 s, with the same reach gaps and the same blind parts but for zero-width slivers along zone
edges, which refresh_blind.sql drops as dust (the parts kept differ by under 0.1 m² in a few km²). Over
a tenth of the Fujian benchmark's cells, whose zones are small beside the cells, the time was the same
within this machine's noise; there the blind parts agree but for one cell, described below.

ST_ClipByBox2D takes an invalid ring as it is, and the union may then answer wrongly instead of
raising (a bow-tie cut to the box gave 0.315 square degrees uncovered where the repaired shape gives
0.57). The function therefore needs valid polygons: reach discs are valid by construction, and zones by
their check constraint geom_valid (0001_foundation). Even a valid polygon with holes can come out of the
cut with a hole outside its shell, so polygons with holes are not cut.

A difference can also come out larger than the cell it was taken from. Over one cell of the Fujian
benchmark (61.4 km², 26 zones that leave 5.4 km² uncovered), GEOS returned the whole cell and the gap
beside it, 66.8 km² in all, from a valid union; GEOS 3.14 does the same. The doubtful-result check
missed it, because the extra part's inner point lies in the gap. A remainder larger than the cell now
counts as doubtful too, and the difference is taken again snap-rounded, which gives the 5.4 km². The cut
above happens to avoid this case (tests/test_coverage_overlay.py keeps both).

Only polygons with more than 1,000 vertices used to be cut (with ST_Intersection), so the function
took that cap as an argument. Every polygon without holes is cut now, and the argument is gone.

Revision ID: 0014_coverage_clip_union
Revises: 0013_coverage_zone_queue
Create Date: 2026-12-02
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0014_coverage_clip_union"
down_revision = "0013_coverage_zone_queue"
branch_labels = None
depends_on = None

# As 0008_coverage_merged made it (a GEOS topology error falls back to the polygons made valid and
# snap-rounded to grid degrees; a doubtful result is computed again snap-rounded), with every polygon cut
# to the cell's widened box before the union, and one more sign of a doubtful result: an uncovered part
# larger than the cell. The source's polygons must be valid.
CLIPPED_UNCOVERED = """
    CREATE FUNCTION coverage_uncovered(cell geometry, source regclass, grid double precision)
    RETURNS geometry LANGUAGE plpgsql STABLE PARALLEL RESTRICTED AS $$
    DECLARE
        box box2d := CAST(ST_Expand(ST_Envelope(cell), 1e-7) AS box2d);
        covered geometry;
        covered_whole boolean;
        rest geometry;
    BEGIN
        BEGIN
            EXECUTE format(
                'SELECT EXISTS (SELECT 1 FROM %s WHERE geom && $1 AND ST_Covers(geom, $1))', source)
            INTO STRICT covered_whole USING cell;
            IF covered_whole THEN
                RETURN NULL;
            END IF;
            -- A polygon with holes is taken whole: cut, a hole across the box edge can come out
            -- outside its shell.
            EXECUTE format(
                'SELECT ST_Union(CASE WHEN ST_NRings(geom) = ST_NumGeometries(geom)
                                      THEN ST_ClipByBox2D(geom, $2) ELSE geom END)
                 FROM %s WHERE geom && $1', source)
            INTO covered USING cell, box;
            IF covered IS NULL THEN
                RETURN ST_Multi(cell);
            END IF;
            IF ST_Covers(covered, cell) THEN
                RETURN NULL;
            END IF;
            rest := ST_CollectionExtract(ST_Difference(cell, covered), 3);
            IF ST_Area(rest) > ST_Area(cell) * (1 + 1e-9)
               OR EXISTS (SELECT 1 FROM ST_Dump(rest) AS d
                          WHERE ST_Contains(covered, ST_PointOnSurface(d.geom))
                            AND ST_Area(CAST(d.geom AS geography)) > 1) THEN
                rest := ST_CollectionExtract(ST_Difference(cell, covered, grid), 3);
            END IF;
        EXCEPTION WHEN internal_error THEN
            EXECUTE format(
                'SELECT ST_Union(
                     ST_Intersection(ST_MakeValid(geom), ST_Expand(ST_Envelope($1), 1e-7), $2), $2)
                 FROM %s WHERE geom && $1', source)
            INTO covered USING cell, grid;
            IF covered IS NULL THEN
                RETURN ST_Multi(cell);
            END IF;
            rest := ST_CollectionExtract(ST_Difference(cell, covered, grid), 3);
        END;
        IF ST_IsEmpty(rest) THEN
            RETURN NULL;
        END IF;
        RETURN ST_Multi(rest);
    END $$"""


def _robust_uncovered() -> str:
    """The function as 0008_coverage_merged made it, for the downgrade."""
    path = Path(__file__).with_name("0008_coverage_merged.py")
    spec = importlib.util.spec_from_file_location("coverage_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ROBUST_UNCOVERED


def upgrade() -> None:
    op.execute("DROP FUNCTION coverage_uncovered(geometry, regclass, double precision, integer)")
    op.execute(CLIPPED_UNCOVERED)


def downgrade() -> None:
    op.execute("DROP FUNCTION coverage_uncovered(geometry, regclass, double precision)")
    op.execute(_robust_uncovered())
