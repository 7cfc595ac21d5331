"""Every region's outline kept cut small, as areas and as lines, beside the region itself.

A zone's facts (area, and the part that spills out of its region) test boundary zones against their
region's outline cut into pieces of at most 256 vertices, as areas (is a point of the zone inside?) and
as lines (does the zone cross the outline?). Each zone-facts share used to cut the outlines of its
zones' regions again into temporary tables: 52 ms of a share's 140 ms in the Fuzhou benchmark (13
districts, 17,000 vertices), once per share and per analysis. Outlines change only when regions are
imported again, so the pieces now follow the outline: a row trigger on regions cuts them when a region
is inserted or its outline changes, and they go with the region (foreign key, on delete cascade).
A region's first coverage analysis (build_cells.sql) starts from the same area pieces.

Revision ID: 0018_region_pieces
Revises: 0017_geo_measures
Create Date: 2026-12-04
"""

from alembic import op

revision = "0018_region_pieces"
down_revision = "0017_geo_measures"
branch_labels = None
depends_on = None

# Most vertices in a piece (app.coverage.queries.MAX_VERTICES).
PIECE_VERTICES = 256


def _cut(row: str, source: str = "") -> str:
    """Statements that store the pieces and edge pieces of region row (a record, or a table's alias)."""
    return f"""
        INSERT INTO region_pieces (region_id, geom)
        SELECT {row}.id, ST_Subdivide({row}.geom, {PIECE_VERTICES}){source};
        INSERT INTO region_edges (region_id, geom)
        SELECT {row}.id, ST_Subdivide(ST_Boundary({row}.geom), {PIECE_VERTICES}){source};
    """


def upgrade() -> None:
    for table, kind in (("region_pieces", "Polygon"), ("region_edges", "LineString")):
        op.execute(f"""
            CREATE TABLE {table} (
                id bigserial PRIMARY KEY,
                region_id integer NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
                geom geometry({kind}, 4326) NOT NULL
            )
        """)
        op.execute(f"CREATE INDEX ix_{table}_region_id ON {table} (region_id)")
        op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")
    op.execute(f"""
        CREATE FUNCTION regions_cut_pieces() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                IF NEW.geom IS NOT DISTINCT FROM OLD.geom THEN
                    RETURN NULL;
                END IF;
                DELETE FROM region_pieces WHERE region_id = NEW.id;
                DELETE FROM region_edges WHERE region_id = NEW.id;
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
    op.execute("DROP TABLE region_edges")
    op.execute("DROP TABLE region_pieces")
