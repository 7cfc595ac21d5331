from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import Computed, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, INT4MULTIRANGE, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..geo import SRID_WGS84


class HeritageSite(Base):
    """A red heritage site (红色资源); opening_hours maps mon..sun to lists of [open, close] times."""

    __tablename__ = "heritage_sites"
    __table_args__ = (
        Index("ix_heritage_sites_geom", "geom", postgresql_using="gist"),
        Index("ix_heritage_sites_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_heritage_sites_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        # Added by migration 0002_guide for keyword search and category filters.
        Index(
            "ix_heritage_sites_address_trgm",
            "address",
            postgresql_using="gin",
            postgresql_ops={"address": "gin_trgm_ops"},
        ),
        Index(
            "ix_heritage_sites_intro_trgm",
            "intro",
            postgresql_using="gin",
            postgresql_ops={"intro": "gin_trgm_ops"},
        ),
        Index("ix_heritage_sites_category", "category"),
        # 0002_guide also adds the expression indexes ix_heritage_sites_level_rank and
        # ix_heritage_sites_name_zh for the list sorts; they are left out here because autogenerate
        # cannot compare expression indexes.
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))
    level: Mapped[str | None] = mapped_column(String(20))
    official_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    geom = mapped_column(Geometry("POINT", srid=SRID_WGS84, spatial_index=False), nullable=False)
    address: Mapped[str | None] = mapped_column(Text)
    intro: Mapped[str | None] = mapped_column(Text)
    story: Mapped[str | None] = mapped_column(Text)
    opening_hours: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    ticket: Mapped[str | None] = mapped_column(Text)
    transport: Mapped[str | None] = mapped_column(Text)
    visit_guide: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    dwell_min: Mapped[int | None] = mapped_column(Integer)
    # Derived by PostgreSQL (migration 0002_guide): opening hours as minutes of the week, for "open at".
    open_minutes = mapped_column(
        INT4MULTIRANGE, Computed("hongtu_week_minutes(opening_hours)", persisted=True), nullable=True
    )
    open_hours = mapped_column(
        ARRAY(SmallInteger),
        Computed("hongtu_open_hours(hongtu_week_minutes(opening_hours))", persisted=True),
        nullable=True,
    )
    # Derived by PostgreSQL (migration 0010): the texts' character pairs, GIN-indexed for keyword search.
    search_bigrams = mapped_column(
        ARRAY(Text), Computed("text_bigrams(name, address, intro)", persisted=True), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
