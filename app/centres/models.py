from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..geo import SRID_WGS84


class ServiceCentre(Base):
    """A party-mass service centre (党群服务中心/站); reach_m None means the level's default reach."""

    __tablename__ = "service_centres"
    __table_args__ = (Index("ix_service_centres_geom", "geom", postgresql_using="gist"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    geom = mapped_column(Geometry("POINT", srid=SRID_WGS84, spatial_index=False), nullable=False)
    reach_m: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(30))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
