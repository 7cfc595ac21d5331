from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..geo import SRID_WGS84


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (Index("ix_regions_geom", "geom", postgresql_using="gist"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    adcode: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID_WGS84, spatial_index=False), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RegionPiece(Base):
    """A piece of a region's outline of at most 256 vertices, cut by trigger (migration 0018)."""

    __tablename__ = "region_pieces"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    geom = mapped_column(Geometry("POLYGON", srid=SRID_WGS84, spatial_index=False), nullable=False)


class RegionOutline(Base):
    """A region's outline widened by 1e-9 degrees, kept with its pieces (migration 0018)."""

    __tablename__ = "region_outlines"
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    widened = mapped_column(Geometry("MULTIPOLYGON", srid=SRID_WGS84, spatial_index=False), nullable=False)
