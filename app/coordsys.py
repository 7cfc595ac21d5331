"""Conversions between the WGS-84, GCJ-02 (Mars) and BD-09 (Baidu) coordinate systems.

The GCJ-02 forward offset and the BD-09 forward formula are the widely published ones;
both inverses are solved exactly by fixed-point iteration rather than with the usual
one-step approximations (which are off by up to ~1e-5 degrees).  As in the published
algorithm, the GCJ-02 step leaves points outside the rough mainland-China box unchanged;
the BD-09 step is applied everywhere, as Baidu's formula has no such test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal, TypeVar

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

logger = logging.getLogger(__name__)

COORDSYS = ("wgs84", "gcj02", "bd09")
CoordSys = Literal["wgs84", "gcj02", "bd09"]

_ALIASES: dict[str, str] = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd": "bd09",
    "baidu": "bd09",
}

# Krasovsky 1940 ellipsoid as used by GCJ-02.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOL = 1e-9
_MAX_ITER = 30

Arr = NDArray[np.float64]
Result = tuple[Arr, Arr] | tuple[float, float]
_F = TypeVar("_F")


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr, bool]:
    """Broadcast lon/lat to float arrays and report whether both inputs were scalars."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    scalar = lon_a.ndim == 0 and lat_a.ndim == 0
    lon_a, lat_a = np.broadcast_arrays(lon_a, lat_a)
    return lon_a, lat_a, scalar


def _result(lon: Arr, lat: Arr, scalar: bool) -> Result:
    """Return floats for scalar input and arrays otherwise."""
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _out_of_china(lon: Arr, lat: Arr) -> NDArray[np.bool_]:
    """Return True where a point lies outside the rough mainland-China box (NaN counts as outside)."""
    inside = (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)
    return ~inside


def _gcj_delta(lon: Arr, lat: Arr) -> tuple[Arr, Arr]:
    """Return the published GCJ-02 offset (dlon, dlat) in degrees at WGS-84 lon/lat."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _gcj_forward(lon: Arr, lat: Arr) -> tuple[Arr, Arr]:
    """Apply the GCJ-02 offset to array inputs."""
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def _bd_forward(lon: Arr, lat: Arr) -> tuple[Arr, Arr]:
    """Apply the published GCJ-02 to BD-09 formula to array inputs."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_inverse_approx(lon: Arr, lat: Arr) -> tuple[Arr, Arr]:
    """Apply the published one-step BD-09 to GCJ-02 approximation to array inputs."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[Arr, Arr], tuple[Arr, Arr]], lon: Arr, lat: Arr, guess: tuple[Arr, Arr]
) -> tuple[Arr, Arr]:
    """Solve forward(x) == (lon, lat) by fixed-point iteration to a round-trip error below 1e-9 degrees."""
    x_lon, x_lat = guess
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        # NaN errors compare False, so NaN inputs never block convergence.
        if not (np.any(np.abs(e_lon) > _TOL) or np.any(np.abs(e_lat) > _TOL)):
            break
        x_lon = x_lon - e_lon
        x_lat = x_lat - e_lat
    else:
        logger.warning("coordinate inverse did not converge in %d iterations", _MAX_ITER)
    return x_lon, x_lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Result:
    """Convert WGS-84 lon/lat to GCJ-02 (points outside China pass through unchanged)."""
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _result(*_gcj_forward(lon_a, lat_a), scalar)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Result:
    """Convert GCJ-02 lon/lat to WGS-84 by exact iterative inversion of the forward offset."""
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon_a, lat_a)
    return _result(*_invert(_gcj_forward, lon_a, lat_a, (lon_a - dlon, lat_a - dlat)), scalar)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Result:
    """Convert GCJ-02 lon/lat to BD-09 with the published formula."""
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _result(*_bd_forward(lon_a, lat_a), scalar)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Result:
    """Convert BD-09 lon/lat to GCJ-02 by exact iterative inversion of the published formula."""
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _result(*_invert(_bd_forward, lon_a, lat_a, _bd_inverse_approx(lon_a, lat_a)), scalar)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Result:
    """Convert WGS-84 lon/lat to BD-09 via GCJ-02."""
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    return _result(*_bd_forward(*_gcj_forward(lon_a, lat_a)), scalar)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Result:
    """Convert BD-09 lon/lat to WGS-84 via GCJ-02."""
    g_lon, g_lat = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(g_lon, g_lat)


_CONVERTERS: dict[tuple[str, str], Callable[[ArrayLike, ArrayLike], Result]] = {
    ("wgs84", "gcj02"): wgs84_to_gcj02,
    ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("gcj02", "bd09"): gcj02_to_bd09,
    ("bd09", "gcj02"): bd09_to_gcj02,
    ("wgs84", "bd09"): wgs84_to_bd09,
    ("bd09", "wgs84"): bd09_to_wgs84,
}


def parse_coordsys(value: str | None, default: str = "wgs84") -> str:
    """Normalise a coordinate-system name or alias to one of COORDSYS (None gives the default)."""
    if value is None:
        return default
    canonical = _ALIASES.get(value.strip().lower()) if isinstance(value, str) else None
    if canonical is None:
        raise ValueError(f"unknown coordsys {value!r}; expected one of wgs84, gcj02, bd09")
    return canonical


def convert(lon: ArrayLike, lat: ArrayLike, src: str, dst: str) -> Result:
    """Convert lon/lat from coordinate system src to dst (names or aliases; identity when equal)."""
    src_c = parse_coordsys(src)
    dst_c = parse_coordsys(dst)
    if src_c == dst_c:
        if isinstance(lon, float) and isinstance(lat, float):
            # One point, nothing to convert (a WGS84 search): no arrays to build.
            return lon, lat
        lon_a, lat_a, scalar = _as_arrays(lon, lat)
        return _result(lon_a.copy(), lat_a.copy(), scalar)
    return _CONVERTERS[(src_c, dst_c)](lon, lat)


def convert_geometry(geom: _F, src: str, dst: str) -> _F:
    """Convert every vertex of a shapely geometry (or array of them) from src to dst, keeping z as is."""
    src_c = parse_coordsys(src)
    dst_c = parse_coordsys(dst)
    if src_c == dst_c:
        return geom
    func = _CONVERTERS[(src_c, dst_c)]

    def _apply(coords: Arr) -> Arr:
        """Convert the lon/lat columns of an (N, 2|3) coordinate array."""
        out = np.array(coords, dtype=np.float64, copy=True)
        out[:, 0], out[:, 1] = func(coords[:, 0], coords[:, 1])
        return out

    # include_z=None (shapely >= 2.1) keeps each geometry's own dimensionality.
    return shapely.transform(geom, _apply, include_z=None)
