"""Coverage analysis (党建盲区): blind zones, overlaps, zone assignment problems and service-reach gaps."""
