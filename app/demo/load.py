"""The Fuzhou demo: real boundaries and red sites, plus organizations, zones, centres and POIs generated
deterministically over the real districts, with deliberate gaps, overlaps and unassigned zones."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..auth.demo import create_demo_accounts
from ..config import PROJECT_ROOT
from ..regions.service import import_from_cnmaps
from ..transfer.layers import get_layer
from ..transfer.service import ImportResult, import_layer
from . import sql

DEMO_DIR = PROJECT_ROOT / "geodata" / "demo"
CITY = "350100"
SEED = 2021
URBAN = {"350102", "350103", "350104", "350105", "350111"}
NUMERALS = "一二三四五六七八九十"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙林郑何高罗"
GIVEN = ["建国", "红梅", "志强", "秀英", "海燕", "立新", "国华", "丽娟", "卫东", "春生", "玉兰", "明辉"]
POI_NAMES = {
    "food": ["闽味小吃", "鱼丸肉燕店", "家常菜馆", "拌面扁肉店", "红色记忆餐厅"],
    "lodging": ["红色驿站宾馆", "快捷酒店", "青年旅舍"],
    "parking": ["公共停车场", "游客停车场"],
    "shopping": ["便利店", "文创商店"],
    "toilet": ["公共厕所"],
    "transit": ["公交站"],
}


def _collection(features: Iterable[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def _point(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
        "properties": props,
    }


def _person(rng: random.Random) -> tuple[str, str]:
    # Demo contacts are invented; the 1390000 prefix marks the numbers as fake.
    return rng.choice(SURNAMES) + rng.choice(GIVEN), f"1390000{rng.randrange(10_000):04d}"


def _districts(session: Session) -> list[tuple[str, str]]:
    return [(r.adcode, r.name) for r in session.execute(sql.CHILD_DISTRICTS, {"adcode": CITY})]


def _points_in(session: Session, adcode: str, n: int, seed: int) -> list[tuple[float, float]]:
    return [(r.lon, r.lat) for r in session.execute(sql.POINTS_IN, {"adcode": adcode, "n": n, "seed": seed})]


def _points_around(
    session: Session, lon: float, lat: float, radius_m: float, n: int, seed: int
) -> list[tuple[float, float]]:
    params = {"lon": lon, "lat": lat, "radius_m": radius_m, "n": n, "seed": seed}
    return [(r.lon, r.lat) for r in session.execute(sql.POINTS_AROUND, params)]


def organizations(session: Session) -> tuple[bytes, dict[str, list[str]]]:
    """Return the organization tree as GeoJSON and, per district, the codes of its branches."""
    rng = random.Random(SEED)
    features: list[dict[str, Any]] = []
    branches: dict[str, list[str]] = {}
    city = session.execute(sql.INNER_POINT, {"adcode": "350102"}).one()
    features.append(
        _point(
            city.lon,
            city.lat,
            {"code": "FZ-O-350100", "name": "中共福州市委员会（示例）", "kind": "committee", "adcode": CITY},
        )
    )
    for d, (adcode, name) in enumerate(_districts(session)):
        inner = session.execute(sql.INNER_POINT, {"adcode": adcode}).one()
        district_code = f"FZ-O-{adcode}"
        features.append(
            _point(
                inner.lon,
                inner.lat,
                {
                    "code": district_code,
                    "name": f"中共福州市{name}委员会（示例）",
                    "kind": "committee",
                    "parent_code": "FZ-O-350100",
                    "adcode": adcode,
                },
            )
        )
        communities = 4 if adcode in URBAN else 2
        branches[adcode] = []
        for c, (lon, lat) in enumerate(_points_in(session, adcode, communities, SEED + d)):
            community_code = f"{district_code}-C{c + 1}"
            person, phone = _person(rng)
            features.append(
                _point(
                    lon,
                    lat,
                    {
                        "code": community_code,
                        "name": f"{name}第{NUMERALS[c]}社区党委",
                        "kind": "committee",
                        "parent_code": district_code,
                        "adcode": adcode,
                        "contact_person": person,
                        "contact_phone": phone,
                    },
                )
            )
            spots = _points_around(session, lon, lat, 800, 3, SEED + 100 * d + c)
            for b, (blon, blat) in enumerate(spots):
                code = f"{community_code}-B{b + 1}"
                full, probationary = rng.randint(12, 55), rng.randint(0, 4)
                person, phone = _person(rng)
                features.append(
                    _point(
                        blon,
                        blat,
                        {
                            "code": code,
                            "name": f"{name}第{NUMERALS[c]}社区第{NUMERALS[b]}党支部",
                            "kind": "branch",
                            "parent_code": community_code,
                            "adcode": adcode,
                            "member_total": full + probationary,
                            "member_counts": {"full": full, "probationary": probationary},
                            "contact_person": person,
                            "contact_phone": phone,
                            # A few inactive branches give the coverage analysis something to report.
                            "active": not (d % 4 == 1 and b == 2),
                        },
                    )
                )
                branches[adcode].append(code)
    return _collection(features), branches


def zones(session: Session, branches: dict[str, list[str]]) -> bytes:
    """Return Voronoi grid zones over each district with deliberate gaps, overlaps and odd assignments."""
    rng = random.Random(SEED + 1)
    features = []
    districts = _districts(session)
    for d, (adcode, name) in enumerate(districts):
        n = 16 if adcode in URBAN else 6
        for cell in session.execute(sql.VORONOI_CELLS, {"adcode": adcode, "n": n, "seed": SEED + d}):
            seq = cell.seq
            if seq % 7 == 3:
                continue  # a deliberate blind zone
            wkb = cell.wkb
            if seq % 5 == 2:  # a deliberate overlap with the neighbours
                wkb = session.execute(
                    sql.GROWN_CELL, {"wkb": wkb, "grow_m": 120, "adcode": adcode}
                ).scalar_one()
            own = branches[adcode]
            org = None if seq % 9 == 4 else own[seq % len(own)]
            if d == 0 and seq == 1:  # assigned to a branch of another district
                org = branches[districts[1][0]][0]
            person, phone = _person(rng)
            features.append(
                {
                    "type": "Feature",
                    "geometry": _wkb_to_geojson(wkb),
                    "properties": {
                        "code": f"{adcode}{1 + (seq - 1) // 8:03d}{1 + (seq - 1) % 8:03d}{seq:03d}",
                        "name": f"{name}第{seq}网格",
                        "level": "grid",
                        "adcode": adcode,
                        "org_code": org,
                        "grid_worker": person,
                        "grid_worker_phone": phone,
                    },
                }
            )
    return _collection(features)


def _wkb_to_geojson(wkb_hex: str) -> dict[str, Any]:
    import shapely

    return shapely.from_wkb(bytes.fromhex(wkb_hex)).__geo_interface__


def centres(session: Session) -> bytes:
    """Return service centres: one per district, and street and community centres at seeded points."""
    features = []
    for d, (adcode, name) in enumerate(_districts(session)):
        inner = session.execute(sql.INNER_POINT, {"adcode": adcode}).one()
        features.append(
            _point(
                inner.lon,
                inner.lat,
                {
                    "code": f"FZ-C-{adcode}",
                    "name": f"{name}党群服务中心（示例）",
                    "level": "district",
                    "adcode": adcode,
                },
            )
        )
        streets, stations = (3, 6) if adcode in URBAN else (1, 2)
        spots = _points_in(session, adcode, streets + stations, SEED + 500 + d)
        for i, (lon, lat) in enumerate(spots):
            level = "street" if i < streets else "community"
            label = (
                f"第{NUMERALS[i % 10]}街道党群服务中心"
                if i < streets
                else f"第{NUMERALS[(i - streets) % 10]}社区党群服务站"
            )
            features.append(
                _point(
                    lon,
                    lat,
                    {
                        "code": f"FZ-C-{adcode}-{i + 1:02d}",
                        "name": f"{name}{label}（示例）",
                        "level": level,
                        "adcode": adcode,
                    },
                )
            )
    return _collection(features)


def pois(session: Session, sites: list[dict[str, Any]]) -> bytes:
    """Return six generated POIs (food, lodging, parking...) within 1.5 km of every demo site."""
    rng = random.Random(SEED + 2)
    layout = ["food", "food", "lodging", "parking", "shopping", "transit"]
    features = []
    for s, site in enumerate(sites):
        lon, lat = site["geometry"]["coordinates"]
        for i, (plon, plat) in enumerate(
            _points_around(session, lon, lat, 1500, len(layout), SEED + 900 + s)
        ):
            category = layout[i]
            short = site["properties"]["name"][:6]
            features.append(
                _point(
                    plon,
                    plat,
                    {
                        "code": f"{site['properties']['code']}-P{i + 1}",
                        "name": f"{short}{rng.choice(POI_NAMES[category])}",
                        "category": category,
                    },
                )
            )
    return _collection(features)


def load_demo(session: Session, demo_dir: Path = DEMO_DIR) -> list[ImportResult]:
    """Load or refresh the whole demo through the ordinary importer; re-running changes nothing."""
    sites_file = demo_dir / "red_sites.geojson"
    sites = json.loads(sites_file.read_text(encoding="utf-8"))["features"]
    results = [
        import_from_cnmaps(session, "350000", children=True),
        import_from_cnmaps(session, CITY, children=True),
    ]
    # Districts outside Fuzhou that hold demo sites (Gutian, Changting, Ninghua...).
    for adcode in sorted({s["properties"]["adcode"] for s in sites} - {a for a, _ in _districts(session)}):
        results.append(import_from_cnmaps(session, adcode))
    results.append(import_layer(session, get_layer("sites"), sites_file.read_bytes(), "geojson"))
    orgs, branches = organizations(session)
    results.append(import_layer(session, get_layer("organizations"), orgs, "geojson"))
    create_demo_accounts(session)
    results.append(import_layer(session, get_layer("zones"), zones(session, branches), "geojson"))
    results.append(import_layer(session, get_layer("centres"), centres(session), "geojson"))
    results.append(import_layer(session, get_layer("pois"), pois(session, sites), "geojson"))
    routes_file = demo_dir / "routes.geojson"
    results.append(import_layer(session, get_layer("routes"), routes_file.read_bytes(), "geojson"))
    return results
