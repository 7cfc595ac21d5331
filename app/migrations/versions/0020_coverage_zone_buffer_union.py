"""coverage_uncovered unions a cell's zones by a zero buffer of their collection.

The union of the zones meeting a cell is most of a blind part's time. A zero buffer of the collected
zones is their union too, and GEOS builds it in one noding pass, where ST_Union's cascade nodes the
same edges again at every level of its tree. Measured on the blind parts of the benchmarks' cells, the
two one after the other, twice (coverage_uncovered against this body in a temporary function):

- Fuzhou, 561 cells, 4,994 zones: 468 / 396 ms with the union, 403 / 348 ms with the buffer;
- Fujian, a quarter of its cells (1,070), 99,982 zones: 1,351 / 1,147 ms against 923 / 1,039 ms.

The blind parts kept after the dust test are the same in every one of those 1,631 cells (to 0.5 m²);
the buffer leaves floating-point dust in fewer of them (720 cells with a remainder against 741 in
Fujian's quarter). The zones are valid (check constraint geom_valid), and the cut by the cell's box
keeps them so but for spikes of no area, which a buffer drops. Should the buffer's noding fail, GEOS
itself retries snap-rounded to 1e-9 degrees for coordinates of this size; the checks on the difference
and the fallback after a GEOS error are unchanged.

Reach discs keep ST_Union: on round discs that overlap by half their width the buffer was three times
slower (149 ms against 531 ms over the Fuzhou cells). The remainder's sanity check measures its parts
with geo_area_m2 instead of on geography (migration 0017_geo_measures).

Revision ID: 0020_coverage_zone_buffer_union
Revises: 0019_geometry_storage
Create Date: 2026-12-04
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0020_coverage_zone_buffer_union"
down_revision = "0019_geometry_storage"
branch_labels = None
depends_on = None


def _static_sources():
    """The migration 0016_coverage_static_sources, whose function this one edits."""
    path = Path(__file__).with_name("0016_coverage_static_sources.py")
    spec = importlib.util.spec_from_file_location("coverage_0016", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _edit(body: str, old: str, new: str) -> str:
    if body.count(old) != 1:
        raise RuntimeError(f"coverage_uncovered no longer reads {old!r} once")
    return body.replace(old, new)


def _buffer_union_uncovered() -> str:
    source = _static_sources()
    clipped = source.CLIPPED.format(box="box")
    body = _edit(
        source.STATIC_UNCOVERED,
        f"SELECT ST_Union({clipped}) INTO covered FROM zones WHERE geom && cell;",
        f"SELECT ST_Buffer(ST_Collect({clipped}), 0) INTO covered FROM zones WHERE geom && cell;",
    )
    return _edit(body, "ST_Area(CAST(d.geom AS geography)) > 1", "geo_area_m2(d.geom) > 1")


def upgrade() -> None:
    op.execute("DROP FUNCTION coverage_uncovered(geometry, regclass, double precision)")
    op.execute(_buffer_union_uncovered())


def downgrade() -> None:
    op.execute("DROP FUNCTION coverage_uncovered(geometry, regclass, double precision)")
    op.execute(_static_sources().STATIC_UNCOVERED)
