"""Every region's outline kept cut small and widened by a hair, beside the region itself.

A zone's facts (area, and the part that spills out of its region) used to need, for each analysis and
in each zone-facts share, the outlines of the zones' regions cut into pieces of at most 256 vertices,
as areas and as lines, in temporary tables: 52 ms of a share's 140 ms in the Fuzhou benchmark (13
districts, 17,000 vertices). A zone drawn along its region's outline, 870 of the benchmark's 4,994,
fails ST_Covers by floating-point dust and was then shrunk by 1e-9 degrees and tested against the
pieces and lines, about 94 µs each.

Outlines change only when regions are imported again, so what the facts need now follows the outline: a
row trigger on regions, when a region is inserted or its outline changes, stores

- region_pieces: the outline cut into pieces of at most 256 vertices (for the spill of a zone that does
  cross the outline, and for cutting a region into cells, build_cells.sql);
- region_outlines: the outline widened by 1e-9 degrees (about 0.1 mm; app.coverage.queries.GRID_DEG)
  with mitred corners (reaching at most twice as far), so that one prepared ST_Covers tells a zone
  inside its region, dust included.

What spills by no more than that hair is floating-point dust of a zone drawn on the outline, as
before. Over the benchmark the widened test puts every zone where the shrink test did, and takes 16 to
23 ms for all 4,994 zones, against 28 ms plus 82 ms for the 870 zones along outlines. Both tables go
with their region (foreign key, on delete cascade).

Revision ID: 0018_region_pieces
Revises: 0017_geo_measures
Create Date: 2026-12-04
"""

from alembic import op

revision = "0018_region_pieces"
down_revision = "0017_geo_measures"
branch_labels = None
depends_on = None

# Most vertices in a piece (app.coverage.queries.MAX_VERTICES), and the hair an outline is widened by
# (degrees; app.coverage.queries.GRID_DEG).
PIECE_VERTICES = 256
WIDEN_DEG = 1e-9


def _cut(row: str, source: str = "") -> str:
    """Statements that store the pieces and the widened outline of region row (a record, or an alias)."""
    return f"""
        INSERT INTO region_pieces (region_id, geom)
        SELECT {row}.id, ST_Subdivide({row}.geom, {PIECE_VERTICES}){source};
        INSERT INTO region_outlines (region_id, widened)
        SELECT {row}.id, ST_Multi(ST_Buffer({row}.geom, {WIDEN_DEG}, 'join=mitre mitre_limit=2')){source};
    """


def upgrade() -> None:
    op.execute("""
        CREATE TABLE region_pieces (
            id bigserial PRIMARY KEY,
            region_id integer NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
            geom geometry(Polygon, 4326) NOT NULL
        )
    """)
    op.execute("CREATE INDEX ix_region_pieces_region_id ON region_pieces (region_id)")
    op.execute("CREATE INDEX ix_region_pieces_geom ON region_pieces USING gist (geom)")
    op.execute("""
        CREATE TABLE region_outlines (
            region_id integer PRIMARY KEY REFERENCES regions (id) ON DELETE CASCADE,
            widened geometry(MultiPolygon, 4326) NOT NULL
        )
    """)
    op.execute(f"""
        CREATE FUNCTION regions_cut_pieces() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                IF NEW.geom IS NOT DISTINCT FROM OLD.geom THEN
                    RETURN NULL;
                END IF;
                DELETE FROM region_pieces WHERE region_id = NEW.id;
                DELETE FROM region_outlines WHERE region_id = NEW.id;
            END IF;
            {_cut("NEW")}
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER regions_pieces AFTER INSERT OR UPDATE OF geom ON regions
        FOR EACH ROW EXECUTE FUNCTION regions_cut_pieces()
    """)
    # The regions already there, cut once (an update would also fire the coverage triggers on regions).
    op.execute(_cut("r", " FROM regions r"))


def downgrade() -> None:
    op.execute("DROP TRIGGER regions_pieces ON regions")
    op.execute("DROP FUNCTION regions_cut_pieces()")
    op.execute("DROP TABLE region_outlines")
    op.execute("DROP TABLE region_pieces")
