# PostGIS 15-3.4 with pgRouting added: Hongtu's first migration creates postgis, pgrouting and pg_trgm.
FROM postgis/postgis:15-3.4
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15-pgrouting \
 && rm -rf /var/lib/apt/lists/*
