"""coverage_mark_reach_stale widens a moved centre's box by the reach in the right degrees.

The box was widened east-west by reach_m / 110 km and north-south by reach_m / (110 km x cos lat): the
two were swapped (as in the reach discs' lookup, fixed in coverage/sql/reach_discs.sql). At 26° N a
1,000 m reach marked cells only 908 m east or west of an edited centre, so a cell 908 to 1,000 m away
kept its old reach gap after the centre moved, opened or closed.

Revision ID: 0015_reach_mark_widening
Revises: 0014_coverage_clip_union
Create Date: 2026-12-02
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0015_reach_mark_widening"
down_revision = "0014_coverage_clip_union"
branch_labels = None
depends_on = None

MARK_REACH = """
    CREATE OR REPLACE FUNCTION coverage_mark_reach_stale(g geometry, reach_m double precision)
    RETURNS void LANGUAGE sql AS $$
        -- A degree box a little larger than reach_m around g: east-west in degrees of longitude, which
        -- shrink with latitude, north-south in degrees of latitude (at least 110.57 km).
        UPDATE coverage_cells SET reach_stale = true, marks = marks + 1
        WHERE geom && ST_Expand(g, reach_m / (110000.0 * cos(radians(ST_Y(g)))), reach_m / 110000.0)
    $$"""


def _swapped_mark() -> str:
    """The function as 0013_coverage_zone_queue made it, for the downgrade."""
    path = Path(__file__).with_name("0013_coverage_zone_queue.py")
    spec = importlib.util.spec_from_file_location("coverage_0013", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._mark_functions(counted=True)[1]


def upgrade() -> None:
    op.execute(MARK_REACH)


def downgrade() -> None:
    op.execute(_swapped_mark())
