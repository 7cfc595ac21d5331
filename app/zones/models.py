from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..geo import SRID_WGS84


class Zone(Base):
    """A grid responsibility zone (网格); org_id is None for an unassigned zone."""

    __tablename__ = "zones"
    __table_args__ = (
        Index("ix_zones_geom", "geom", postgresql_using="gist"),
        UniqueConstraint("province", "id", name="uq_zones_province_id"),
        UniqueConstraint("province", "code", name="uq_zones_province_code"),
        # A zone's organization is in the zone's province (migration 0009_province_shard_key).
        ForeignKeyConstraint(
            ["province", "org_id"],
            ["organizations.province", "organizations.id"],
            name="fk_zones_province_org",
            ondelete="SET NULL (org_id)",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    grid_worker: Mapped[str | None] = mapped_column(String(50))
    grid_worker_phone: Mapped[str | None] = mapped_column(String(30))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID_WGS84, spatial_index=False), nullable=False)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # Filled by trigger from the region's adcode.
    province: Mapped[str] = mapped_column(CHAR(2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
