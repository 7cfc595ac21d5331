"""Keyword search over site texts by character pairs: each site's bigrams, stored and GIN-indexed.

Trigram indexes cannot serve the commonest Chinese searches: a two-character keyword such as 古田 or
烈士 holds no trigram of its own, so `ILIKE '%古田%'` read every entry of the trigram indexes and
rechecked every site (seconds at a million sites). Every substring match of a keyword of two or more
characters holds all of the keyword's bigrams, so `search_bigrams @> text_bigrams(q)` is a lossless,
indexed first pass, and the ILIKE conditions recheck the rows it leaves. The bigrams are a stored
column rather than an index expression because a recheck (a page shared with the fuzzy name match)
would otherwise compute them again for every row it reads.

Revision ID: 0010_keyword_bigrams
Revises: 0009_province_shard_key
Create Date: 2026-11-22
"""

from alembic import op

revision = "0010_keyword_bigrams"
down_revision = "0009_province_shard_key"
branch_labels = None
depends_on = None

# The distinct two-character substrings of the texts, lower-cased (ILIKE ignores case), without those
# that hold white space; NULL texts give none. The same function is applied to the keyword, so both
# sides agree on what a bigram is.
BIGRAMS_FUNCTION = r"""
CREATE FUNCTION text_bigrams(VARIADIC texts text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY(
        SELECT DISTINCT substr(p.t, i, 2)
        FROM (SELECT lower(u.t) AS t FROM unnest(texts) AS u(t) WHERE u.t IS NOT NULL) AS p,
             generate_series(1, length(p.t) - 1) AS i
        WHERE substr(p.t, i, 2) !~ '\s'
    )
$$"""


def upgrade() -> None:
    op.execute(BIGRAMS_FUNCTION)
    op.execute(
        "ALTER TABLE heritage_sites ADD COLUMN search_bigrams text[] "
        "GENERATED ALWAYS AS (text_bigrams(name, address, intro)) STORED"
    )
    op.execute("CREATE INDEX ix_heritage_sites_bigrams ON heritage_sites USING gin (search_bigrams)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_heritage_sites_bigrams")
    op.execute("ALTER TABLE heritage_sites DROP COLUMN IF EXISTS search_bigrams")
    op.execute("DROP FUNCTION IF EXISTS text_bigrams(text[])")
