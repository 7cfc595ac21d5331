"""Keyword search at scale: stored bigrams serve two-character Chinese keywords and never lose a match."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from app.sites.filters import KEYWORD_SQL, like_pattern

# 6,000 sites whose texts are drawn from a small set of words, so keywords match many rows and few.
SITES = text("""
    SELECT setseed(0.7);
    INSERT INTO heritage_sites (code, name, category, level, address, intro, geom)
    SELECT 'K-' || i,
           (ARRAY['古田', '鼓楼', '烈士', '陵园', '纪念', '旧址', 'Red', '红军'])[1 + (random() * 7)::int]
             || (ARRAY['会议', '纪念馆', '故居', ' 碑', '陈列馆'])[1 + (random() * 4)::int] || i,
           'monument', 'county',
           CASE WHEN random() < 0.5 THEN (ARRAY['上杭县', '长汀县', '鼓楼区'])[1 + (random() * 2)::int] END,
           CASE WHEN random() < 0.3
                THEN '一九二九年 古田 ' || (ARRAY['100%', 'a_b', 'RED'])[1 + (random() * 2)::int] END,
           ST_SetSRID(ST_MakePoint(116 + random(), 25 + random()), 4326)
    FROM generate_series(1, 6000) AS i;
    ANALYZE heritage_sites;
""")
MATCHES = f"SELECT id FROM heritage_sites t WHERE {KEYWORD_SQL} ORDER BY id"
# The same search without the index pass: a plain substring test over the three texts, or a similar name.
PLAIN = r"""SELECT id FROM heritage_sites t
    WHERE t.name ILIKE :q_like ESCAPE '\' OR t.address ILIKE :q_like ESCAPE '\'
       OR t.intro ILIKE :q_like ESCAPE '\' OR t.name %> :q ORDER BY id"""


@pytest.fixture
def many_sites(session):
    session.execute(SITES)


def _params(q: str) -> dict[str, str]:
    return {"q": q, "q_like": like_pattern(q)}


@pytest.mark.parametrize(
    "q", ["古田", "古田会议", "鼓楼区", "纪", "red", "RED", "烈士 碑", " 碑", "100%", "a_b", "一九二九"]
)
def test_the_bigram_pass_never_loses_a_match(session, many_sites, q):
    found = list(session.execute(text(MATCHES), _params(q)).scalars())
    assert found == list(session.execute(text(PLAIN), _params(q)).scalars())


def test_some_keywords_really_match_and_some_do_not(session, many_sites):
    # The comparison above would hold trivially if nothing matched.
    count = text(f"SELECT count(*) FROM heritage_sites t WHERE {KEYWORD_SQL}")
    assert session.execute(count, _params("古田")).scalar_one() > 500
    assert session.execute(count, _params("延安")).scalar_one() == 0


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def test_a_two_character_keyword_is_served_by_the_bigram_index(session, many_sites):
    session.execute(
        text("UPDATE heritage_sites SET address = '瑞金' || id WHERE id % 1000 = 0; ANALYZE heritage_sites")
    )
    raw = session.execute(text(f"EXPLAIN (FORMAT JSON) {MATCHES}"), _params("瑞金")).scalar_one()
    nodes = list(_plan_nodes((raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]))
    assert "ix_heritage_sites_bigrams" in {n.get("Index Name") for n in nodes}
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"]
    # Rows are rechecked by ILIKE; the bigram containment itself is left to the index.
    filters = " ".join(n.get("Filter", "") for n in nodes)
    assert "search_bigrams" not in filters and "~~*" in filters


def test_bigrams_follow_edits(session, many_sites):
    site_id = session.execute(text("SELECT min(id) FROM heritage_sites WHERE code LIKE 'K-%'")).scalar_one()
    session.execute(text("UPDATE heritage_sites SET name = '瑞金叶坪旧址' WHERE id = :id"), {"id": site_id})
    assert list(session.execute(text(MATCHES), _params("叶坪")).scalars()) == [site_id]
