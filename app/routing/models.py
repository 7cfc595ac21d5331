from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..geo import SRID_WGS84


class CuratedRoute(Base):
    """A curated red-education route (红色线路); its stops are RouteStop rows in order of seq."""

    __tablename__ = "routes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    suggested_duration_min: Mapped[int | None] = mapped_column(Integer)
    season: Mapped[str | None] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RouteStop(Base):
    __tablename__ = "route_stops"
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("heritage_sites.id", ondelete="RESTRICT"), index=True)
    dwell_min: Mapped[int | None] = mapped_column(Integer)


class RoadVertex(Base):
    """A road-network node (an OSM node id) for pgRouting."""

    __tablename__ = "roads_vertices"
    __table_args__ = (Index("ix_roads_vertices_geom", "geom", postgresql_using="gist"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    geom = mapped_column(Geometry("POINT", srid=SRID_WGS84, spatial_index=False), nullable=False)


class RoadEdge(Base):
    """A road segment between two vertices; costs are seconds per mode, negative where not allowed."""

    __tablename__ = "roads_edges"
    __table_args__ = (
        UniqueConstraint("osm_id", "part", name="uq_roads_edges_way_part"),
        CheckConstraint("length_m >= 0", name="length_positive"),
        Index("ix_roads_edges_geom", "geom", postgresql_using="gist"),
        Index("ix_roads_edges_source", "source"),
        Index("ix_roads_edges_target", "target"),
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    osm_id: Mapped[int] = mapped_column(BigInteger)
    part: Mapped[int] = mapped_column(Integer)
    source: Mapped[int] = mapped_column(ForeignKey("roads_vertices.id"))
    target: Mapped[int] = mapped_column(ForeignKey("roads_vertices.id"))
    highway: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(Text)
    length_m: Mapped[float] = mapped_column(Float)
    cost_walk_s: Mapped[float] = mapped_column(Float)
    reverse_cost_walk_s: Mapped[float] = mapped_column(Float)
    cost_drive_s: Mapped[float] = mapped_column(Float)
    reverse_cost_drive_s: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("LINESTRING", srid=SRID_WGS84, spatial_index=False), nullable=False)


class SavedPlan(Base):
    """A plan kept for its share link: the request and the answer as given."""

    __tablename__ = "plans"
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    request: Mapped[dict] = mapped_column(JSONB)
    answer: Mapped[dict] = mapped_column(JSONB)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
