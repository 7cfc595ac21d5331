"""A site with what its page needs beside its own fields: the region path and the nearest service centre."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Point
from sqlalchemy.orm import Session

from ..centres.queries import CentreRow, nearest_centres
from ..regions.queries import region_path
from .queries import SiteDetail, get_site


@dataclass(frozen=True)
class SiteInContext:
    """A site, its regions from province down, and its nearest centre (distance_m on the spheroid)."""

    site: SiteDetail
    region_path: list[dict]
    nearest_centre: CentreRow | None


def site_in_context(session: Session, ref: int | str) -> SiteInContext:
    """Return site ref (id or code) with its region path and nearest service centre; NotFound if absent."""
    site = get_site(session, ref)
    origin = Point(site.geometry["coordinates"][:2])
    centres = nearest_centres(session, origin, k=1)
    path = region_path(session, site.adcode) if site.adcode else []
    return SiteInContext(site, path, centres[0] if centres else None)
