from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..geo import SRID_WGS84


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (
        Index("ix_organizations_geom", "geom", postgresql_using="gist"),
        # The shard key of migration 0009_province_shard_key: unique keys include it, and a child lives in
        # its parent's province.
        UniqueConstraint("province", "id", name="uq_organizations_province_id"),
        UniqueConstraint("province", "code", name="uq_organizations_province_code"),
        ForeignKeyConstraint(
            ["province", "parent_id"],
            ["organizations.province", "organizations.id"],
            name="fk_organizations_province_parent",
            deferrable=True,
            initially="IMMEDIATE",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    geom = mapped_column(Geometry("POINT", srid=SRID_WGS84, spatial_index=False))
    member_total: Mapped[int] = mapped_column(Integer, server_default="0")
    member_counts: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    # Sensitive: never part of a public response.
    contact_person: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # Filled by trigger: the region's province, else the nearest placed ancestor's, else '00'.
    province: Mapped[str] = mapped_column(CHAR(2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
