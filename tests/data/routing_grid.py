"""Writes routing_grid.osm: a made-up street grid over the test city 990100 (119.00-119.04 E, 26.00-26.02 N).

Nodes every 0.002 degrees (21 columns x 11 rows). Every row and column is a residential street, except:
row 5 (26.010 N) is a primary road, column 10 (119.020 E) is a footway (no cars), and row 10 (26.020 N)
is one-way eastbound for cars. Run `python tests/data/routing_grid.py` to regenerate the file.
"""

from pathlib import Path

STEP = 0.002
COLS, ROWS = 21, 11
LON0, LAT0 = 119.0, 26.0


def node_id(row: int, col: int) -> int:
    return 100_000 + row * 100 + col


def grid_osm() -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="hongtu-tests">']
    for row in range(ROWS):
        for col in range(COLS):
            lat, lon = LAT0 + row * STEP, LON0 + col * STEP
            lines.append(f'  <node id="{node_id(row, col)}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    way = 1
    for row in range(ROWS):
        tags = {"highway": "primary" if row == 5 else "residential", "name": f"横{row}路"}
        if row == 10:
            tags["oneway"] = "yes"
        lines.append(f'  <way id="{way}" version="1">')
        lines += [f'    <nd ref="{node_id(row, col)}"/>' for col in range(COLS)]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
        way += 1
    for col in range(COLS):
        tags = {"highway": "footway" if col == 10 else "residential", "name": f"纵{col}路"}
        lines.append(f'  <way id="{way}" version="1">')
        lines += [f'    <nd ref="{node_id(row, col)}"/>' for row in range(ROWS)]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
        way += 1
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (Path(__file__).parent / "routing_grid.osm").write_text(grid_osm(), encoding="utf-8")
