"""Imports every domain's mappings so that Base.metadata describes the whole schema."""

from .auth import models as auth_models
from .centres.models import ServiceCentre
from .coverage import models as coverage_models
from .db import Base
from .organizations.models import Organization
from .pois.models import Poi
from .regions.models import Region
from .routing import models as routing_models
from .sites.models import HeritageSite
from .zones.models import Zone

metadata = Base.metadata

__all__ = [
    "HeritageSite",
    "Organization",
    "Poi",
    "Region",
    "ServiceCentre",
    "Zone",
    "auth_models",
    "coverage_models",
    "metadata",
    "routing_models",
]
