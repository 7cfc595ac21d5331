"""Imports every domain's mappings so that Base.metadata describes the whole schema."""

from .centres.models import ServiceCentre
from .db import Base
from .organizations.models import Organization
from .pois.models import Poi
from .regions.models import Region
from .routing.models import CuratedRoute, RouteStop
from .sites.models import HeritageSite
from .zones.models import Zone

metadata = Base.metadata

__all__ = [
    "CuratedRoute",
    "HeritageSite",
    "Organization",
    "Poi",
    "Region",
    "RouteStop",
    "ServiceCentre",
    "Zone",
    "metadata",
]
