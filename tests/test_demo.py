"""The Fuzhou demo loads through the importer, feeds every analysis, and reloads as a no-op."""

from sqlalchemy import text

from app.demo.load import load_demo


def test_demo_loads_every_layer_and_reloads_unchanged(session):
    first = load_demo(session)
    by_layer = {}
    for result in first:
        by_layer.setdefault(result.layer, 0)
        by_layer[result.layer] += result.inserted
    assert by_layer["sites"] >= 30 and by_layer["zones"] > 50 and by_layer["routes"] == 3
    counts = session.execute(
        text("""
        SELECT (SELECT count(*) FROM zones WHERE org_id IS NULL) AS unassigned,
               (SELECT count(*) FROM organizations WHERE NOT active) AS inactive,
               (SELECT count(*) FROM heritage_sites s JOIN regions g ON g.id = s.region_id
                 WHERE NOT ST_Covers(g.geom, s.geom)) AS misplaced_sites,
               (SELECT count(*) FROM zones a JOIN zones b ON a.id < b.id AND a.geom && b.geom
                 AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1000) AS overlaps
    """)
    ).one()
    assert counts.unassigned > 0 and counts.inactive > 0 and counts.overlaps > 0
    assert counts.misplaced_sites == 0
    again = load_demo(session)
    assert all(r.inserted == 0 and r.updated == 0 for r in again)
