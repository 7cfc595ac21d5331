"""Mapbox vector tiles built in PostGIS for the map pages' large layers."""
