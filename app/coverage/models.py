"""Mappings of the coverage tables; the analysis itself runs as SQL in queries.py."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    CHAR,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..geo import SRID_WGS84


class CoverageCell(Base):
    """A piece of a region (EPSG:4326) with its stored blind and reach-gap parts, areas in m²."""

    __tablename__ = "coverage_cells"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("POLYGON", srid=SRID_WGS84, spatial_index=False), nullable=False)
    area_m2: Mapped[float] = mapped_column(Float)
    blind = mapped_column(Geometry("MULTIPOLYGON", srid=SRID_WGS84, spatial_index=False))
    blind_m2: Mapped[float | None] = mapped_column(Float)
    blind_stale: Mapped[bool] = mapped_column(Boolean, server_default="true")
    reach_gap = mapped_column(Geometry("MULTIPOLYGON", srid=SRID_WGS84, spatial_index=False))
    reach_gap_m2: Mapped[float | None] = mapped_column(Float)
    reach_stale: Mapped[bool] = mapped_column(Boolean, server_default="true")
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blind_merged: Mapped[bool] = mapped_column(Boolean, server_default="false")
    reach_merged: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # One more for every stale mark an edit puts on the cell (migration 0013_coverage_zone_queue).
    marks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    __table_args__ = (UniqueConstraint("province", "id", name="uq_coverage_cells_province_id"),)
    # The shard key (migration 0009_province_shard_key), filled by trigger.
    province: Mapped[str] = mapped_column(CHAR(2))


class CoverageGrid(Base):
    """The grid a region was cut with (cell side in degrees) and how many cells it gave."""

    __tablename__ = "coverage_grids"
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    cell_deg: Mapped[float] = mapped_column(Float)
    cells: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (UniqueConstraint("province", "region_id", name="uq_coverage_grids_province_region_id"),)
    # The shard key (migration 0009_province_shard_key), filled by trigger.
    province: Mapped[str] = mapped_column(CHAR(2))


class CoverageMergedPiece(Base):
    """A region's blind or reach-gap piece merged across cell seams (EPSG:4326, m²), kept between runs."""

    __tablename__ = "coverage_merged_pieces"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    child_id: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("POLYGON", srid=SRID_WGS84, spatial_index=False), nullable=False)
    area_m2: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict | None] = mapped_column(JSONB)
    __table_args__ = (
        UniqueConstraint("province", "id", name="uq_coverage_merged_pieces_province_id"),
        Index("ix_coverage_merged_pieces_region_kind", "region_id", "kind"),
    )
    # The shard key (migration 0009_province_shard_key), filled by trigger.
    province: Mapped[str] = mapped_column(CHAR(2))


class CoverageZoneFacts(Base):
    """A zone's area and the part of it outside its region (m², EPSG:4326); absent means stale."""

    __tablename__ = "coverage_zone_facts"
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    area_m2: Mapped[float] = mapped_column(Float)
    spill = mapped_column(Geometry("MULTIPOLYGON", srid=SRID_WGS84, spatial_index=False))
    spill_m2: Mapped[float] = mapped_column(Float, server_default="0")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # False until the zone's overlap pairs are stored (migration 0011_coverage_pairs_done).
    pairs_done: Mapped[bool] = mapped_column(Boolean, server_default=true())

    __table_args__ = (
        Index("ix_coverage_zone_facts_pairs_todo", "zone_id", postgresql_where=text("NOT pairs_done")),
    )


class CoverageZoneQueue(Base):
    """A zone whose facts the next refresh computes, queued by the edit triggers; seq renewed on each edit."""

    __tablename__ = "coverage_zone_queue"
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, server_default=text("nextval('coverage_zone_queue_seq')"))


class CoverageOverlap(Base):
    """The shared part of two zones (zone_a < zone_b), area in m²."""

    __tablename__ = "coverage_overlaps"
    zone_a: Mapped[int] = mapped_column(
        ForeignKey("coverage_zone_facts.zone_id", ondelete="CASCADE"), primary_key=True
    )
    zone_b: Mapped[int] = mapped_column(
        ForeignKey("coverage_zone_facts.zone_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID_WGS84, spatial_index=False), nullable=False)
    area_m2: Mapped[float] = mapped_column(Float)


class CoverageSnapshot(Base):
    """One stored analysis of a region: its parameters, time, ratios and finding counts."""

    __tablename__ = "coverage_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    params: Mapped[dict] = mapped_column(JSONB)
    region_area_m2: Mapped[float] = mapped_column(Float)
    blind_area_m2: Mapped[float] = mapped_column(Float)
    covered_ratio: Mapped[float] = mapped_column(Float)
    reach_ratio: Mapped[float] = mapped_column(Float)
    counts: Mapped[dict] = mapped_column(JSONB)
    children: Mapped[list] = mapped_column(JSONB, server_default="[]")
    duration_ms: Mapped[float] = mapped_column(Float)
    __table_args__ = (UniqueConstraint("province", "id", name="uq_coverage_snapshots_province_id"),)
    # The shard key (migration 0009_province_shard_key), filled by trigger.
    province: Mapped[str] = mapped_column(CHAR(2))


class CoverageFinding(Base):
    """One finding of a snapshot: kind, where (EPSG:4326), area in m², zones involved and details."""

    __tablename__ = "coverage_findings"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("coverage_snapshots.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"))
    geom = mapped_column(Geometry("GEOMETRY", srid=SRID_WGS84, spatial_index=False))
    area_m2: Mapped[float | None] = mapped_column(Float)
    zone_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), server_default="{}")
    detail: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    __table_args__ = (UniqueConstraint("province", "id", name="uq_coverage_findings_province_id"),)
    # The shard key (migration 0009_province_shard_key), filled by trigger.
    province: Mapped[str] = mapped_column(CHAR(2))
