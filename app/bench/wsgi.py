"""The Hongtu app as gunicorn serves it in the benchmarks, plus a hello-world route as the reference."""

from __future__ import annotations

from app import create_app

app = create_app()


@app.get("/_bench/hello")
def hello() -> dict[str, str]:
    # The cheapest answer this app can give: what a request costs before any query runs.
    return {"hello": "红图"}
