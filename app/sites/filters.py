"""The site filters shared by search, nearby and the OGC items: each one becomes an indexed SQL condition."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from .hours import OPEN_AT_SQL, LocalMoment
from .nearest import Condition

# A city adcode covers its districts through the region tree (parent_id), not through adcode prefixes:
# districts that were re-coded or moved between cities still belong to the city that holds them.
# The subtree is read first (queries.region_subtree_ids) so the planner sees the real list of ids.
REGION_SQL = "t.region_id = ANY(CAST(:region_ids AS integer[]))"


# A substring of name, address or intro, or a name within typo distance (word similarity, %>). The first
# conjunct is what the indexes serve: the GIN index on each site's stored bigrams finds the rows holding
# every bigram of the keyword (a two-character Chinese keyword holds no trigram, so the trigram indexes
# cannot), the trigram index on name the similar names. The second keeps the rows where the keyword
# really occurs. %> is written the way the index serves it, so the planner drops the first conjunct from
# the per-row filter.
KEYWORD_SQL = r"""(t.search_bigrams @> text_bigrams(:q) OR t.name %> :q)
    AND (t.name ILIKE :q_like ESCAPE '\' OR t.address ILIKE :q_like ESCAPE '\'
         OR t.intro ILIKE :q_like ESCAPE '\' OR t.name %> :q)"""

# Rank for keyword searches: an exact substring in the name first, then name and address similarity.
KEYWORD_RANK_SQL = r"""(CASE WHEN t.name ILIKE :q_like ESCAPE '\' THEN 1.0 ELSE 0.0 END
    + word_similarity(:q, t.name) + 0.5 * word_similarity(:q, coalesce(t.address, '')))"""

BBOX_SQL = "t.geom && ST_MakeEnvelope(:bbox_x1, :bbox_y1, :bbox_x2, :bbox_y2, 4326)"


def like_pattern(q: str) -> str:
    """Return q as an ILIKE substring pattern in which %, _ and backslash match themselves."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def bbox_condition(bbox: BaseGeometry) -> Condition:
    """Return the GiST-served condition that t.geom lies in the WGS84 box."""
    x1, y1, x2, y2 = bbox.bounds
    return Condition(BBOX_SQL, {"bbox_x1": x1, "bbox_y1": y1, "bbox_x2": x2, "bbox_y2": y2})


def region_condition(region_ids: tuple[int, ...]) -> Condition:
    """Return the condition that t lies in one of region_ids (a region subtree)."""
    return Condition(REGION_SQL, {"region_ids": list(region_ids)})


def keyword_condition(q: str) -> Condition:
    """Return the substring-or-fuzzy match of q over name, address and intro."""
    return Condition(KEYWORD_SQL, {"q": q, "q_like": like_pattern(q)})


@dataclass(frozen=True)
class SiteFilters:
    """What a site search may be narrowed by; empty tuples and None mean no restriction."""

    region_ids: tuple[int, ...] | None = None  # a region and all regions below it
    categories: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    q: str | None = None
    open_at: LocalMoment | None = None
    bbox: BaseGeometry | None = None

    def conditions(self) -> list[Condition]:
        """Return the SQL conditions on the alias t for every filter that is set."""
        out: list[Condition] = []
        if self.region_ids is not None:
            out.append(region_condition(self.region_ids))
        if self.categories:
            out.append(Condition("t.category = ANY(:categories)", {"categories": list(self.categories)}))
        if self.levels:
            out.append(Condition("t.level = ANY(:levels)", {"levels": list(self.levels)}))
        if self.tags:
            out.append(Condition("t.tags @> CAST(:tags AS text[])", {"tags": list(self.tags)}))
        if self.q:
            out.append(keyword_condition(self.q))
        if self.open_at is not None:
            minute = self.open_at.minute_of_week
            out.append(Condition(OPEN_AT_SQL, {"open_minute": minute, "open_hour": minute // 60}))
        if self.bbox is not None:
            out.append(bbox_condition(self.bbox))
        return out
