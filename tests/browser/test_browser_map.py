"""The map pages in Debian's chromium on the demo data: offline, escaped, usable at 390 px."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import DESKTOP, PHONE, XSS_NAME, screenshot, wait_for_layer
from sqlalchemy import text

from app import coordsys

pytestmark = pytest.mark.browser

SITES_IN_BOX = text("""
    SELECT count(*) FROM heritage_sites WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)
""")
SITE_BY_NAME = text("SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM heritage_sites WHERE name = :name")

PADDED_BOUNDS = """() => { const b = Hongtu.map.getBounds().pad(0.1);
    return {w: b.getWest(), s: b.getSouth(), e: b.getEast(), n: b.getNorth()}; }"""


def _site(demo_engine, name: str):
    with demo_engine.connect() as conn:
        return conn.execute(SITE_BY_NAME, {"name": name}).one()


def _open_popup_of(page, site) -> str:
    """Zoom to a site, click its marker and return the popup's text."""
    loads = page.evaluate("Hongtu.loads.sites || 0")
    page.evaluate(f"() => {{ Hongtu.map.setView([{site.lat}, {site.lon}], 18); }}")
    page.wait_for_function("n => (Hongtu.loads.sites || 0) > n", arg=loads, timeout=10_000)
    page.locator(f".hongtu-site-icon[title='{site_title(page, site)}']").first.click()
    popup = page.locator(".leaflet-popup-content .site-name")
    popup.wait_for(timeout=5_000)
    return popup.inner_text()


def site_title(page, site) -> str:
    return page.evaluate(
        "id => Hongtu.layers.sites.markers.find(m => m.siteId === id).options.title", site.id
    ).replace("'", "\\'")


def test_home_shows_every_demo_site_in_view_as_markers_or_clusters(browse, demo_engine):
    page, watch = browse("/")
    wait_for_layer(page, "sites")
    wait_for_layer(page, "regions")
    bounds = page.evaluate(PADDED_BOUNDS)
    with demo_engine.connect() as conn:
        expected = conn.execute(SITES_IN_BOX, bounds).scalar_one()
    assert expected > 10
    assert page.evaluate("Hongtu.layers.sites.siteCount") == expected
    # What is on screen adds up too: lone markers plus the members of each cluster bubble.
    shown = page.evaluate("""() => {
        let n = 0; const c = Hongtu.layers.sites.getLayers()[0];
        c.eachLayer(m => { const p = c.getVisibleParent(m); if (p) n += 1; });
        return n; }""")
    assert shown == expected
    assert page.locator(".marker-cluster, .hongtu-site-icon").count() > 0
    screenshot(page, "home-desktop")
    assert all(url.startswith("http://127.0.0.1") for url, _ in watch.requests)


def test_clicking_a_site_opens_its_popup_with_its_name(browse, demo_engine):
    page, _ = browse("/")
    wait_for_layer(page, "sites")
    site = _site(demo_engine, "林则徐纪念馆")
    assert _open_popup_of(page, site) == "林则徐纪念馆"
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator(f"a[href='/sites/{site.id}']").count() == 1
    screenshot(page, "home-popup")


def test_a_site_named_like_markup_shows_as_text(browse, demo_engine):
    page, watch = browse("/")
    wait_for_layer(page, "sites")
    site = _site(demo_engine, XSS_NAME)
    assert _open_popup_of(page, site) == XSS_NAME
    assert page.locator(".leaflet-popup-content img").count() == 0
    # The search list shows it as text too.
    page.fill(".hongtu-search input", "onerror")
    item = page.locator(".hongtu-search li").first
    item.wait_for(timeout=5_000)
    assert item.inner_text() == XSS_NAME
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/")[2] + f"/sites/{site.id}")
    assert page.locator("h1.site-name").inner_text() == XSS_NAME
    assert page.locator("main img").count() == 0
    screenshot(page, "xss-site-page")
    assert watch.dialogs == []


@pytest.mark.parametrize("path", ["/", "/routes", "/routes/1", "/plan", "/sites/1"])
def test_pages_fit_a_phone_without_horizontal_scroll(browse, path):
    page, _ = browse(path, viewport=PHONE)
    page.wait_for_function("() => document.readyState === 'complete'")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{path} scrolls sideways at 390 px: {width}"
    screenshot(page, "phone" + path.replace("/", "-"))


def test_admin_layers_draw_for_admins_only(browse):
    page, _ = browse("/", admin=True)
    wait_for_layer(page, "sites")
    page.evaluate("() => { Hongtu.map.setView([26.08, 119.30], 12); }")
    wait_for_layer(page, "zones")
    assert page.evaluate("'zones' in Hongtu.layers")
    page.evaluate("() => { Hongtu.map.addLayer(Hongtu.layers.blind_zones); }")
    wait_for_layer(page, "blind_zones", timeout_ms=30_000)
    assert page.evaluate("Hongtu.layers.blind_zones.getLayers().length") > 0
    screenshot(page, "home-admin")
    anonymous, _ = browse("/")
    wait_for_layer(anonymous, "sites")
    assert not anonymous.evaluate("'zones' in Hongtu.layers")
    assert "/tiles/zones/" not in anonymous.content()


def test_site_page_adds_to_the_plan(browse, demo_engine):
    site = _site(demo_engine, "林则徐纪念馆")
    page, _ = browse(f"/sites/{site.id}", viewport=DESKTOP)
    wait_for_layer(page, "site")
    page.click("#add-to-plan")
    plan = page.evaluate("Hongtu.plan.get()")
    assert plan == [{"id": site.id, "name": "林则徐纪念馆"}]
    screenshot(page, "site-page")


def test_plan_page_turns_picked_sites_into_a_route_line(browse, demo_engine):
    page, _ = browse("/plan", viewport=PHONE)
    wait_for_layer(page, "sites")
    first = _site(demo_engine, "林则徐纪念馆")
    second = _site(demo_engine, "林则徐出生地")
    # Pick the first site through its popup, the second straight into the stored plan.
    page.evaluate(f"() => {{ Hongtu.map.setView([{first.lat}, {first.lon}], 18); }}")
    page.wait_for_function("() => (Hongtu.loads.sites || 0) > 1", timeout=10_000)
    page.evaluate("id => { Hongtu.layers.sites.markers.find(m => m.siteId === id).openPopup(); }", first.id)
    page.locator(f".leaflet-popup-content [data-plan-add='{first.id}']").click()
    page.evaluate("s => { Hongtu.plan.add(s); }", {"id": second.id, "name": "林则徐出生地"})
    assert page.locator("#plan-list li").count() == 2
    # Both sites close on Mondays: plan for a Saturday at least two days ahead.
    day = date.today() + timedelta(days=2)
    day += timedelta(days=(5 - day.weekday()) % 7)
    page.fill("#plan-date", day.isoformat())
    page.click("#plan-make")
    wait_for_layer(page, "plan_route")
    vertices = page.evaluate("""() => { let n = 0;
        Hongtu.layers.plan_route.eachLayer(
            l => l.eachLayer && l.eachLayer(p => { n += p.getLatLngs().length; }));
        return n; }""")
    assert vertices >= 2
    assert page.locator("#plan-result li").count() == 2
    assert page.locator("#plan-result a[href$='.gpx']").count() == 1
    screenshot(page, "plan-phone")


def test_route_page_shows_the_path_stops_and_gpx(browse):
    page, _ = browse("/routes/1")
    wait_for_layer(page, "route")
    assert page.evaluate("Hongtu.layers.route.getLayers().length") > 2
    assert page.locator(".route-stops li").count() >= 2
    href = page.locator("a[download]").get_attribute("href")
    assert href == "/api/v1/routes/1.gpx"
    response = page.request.get(page.url.split("/routes/")[0] + href)
    assert response.status == 200 and b"<gpx" in response.body()
    screenshot(page, "route-desktop")


def test_dashboard_draws_choropleth_charts_and_lists_for_admins(browse):
    page, _ = browse("/dashboard?region=350100", viewport=DESKTOP, admin=True)
    for kind in ("choropleth", "distribution", "blind_list", "warnings"):
        wait_for_layer(page, kind, timeout_ms=30_000)
    assert page.evaluate("Hongtu.layers.choropleth.getLayers().length") >= 10
    assert page.locator("#dash-blind li").count() > 0
    assert page.locator("#chart-orgs canvas").count() == 1
    screenshot(page, "dashboard-desktop")


def test_dashboard_at_phone_width_keeps_to_the_screen(browse):
    page, _ = browse("/dashboard?region=350100", viewport=PHONE, admin=True)
    wait_for_layer(page, "distribution", timeout_ms=30_000)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    screenshot(page, "dashboard-phone")


def test_english_switch_relabels_the_page(browse):
    page, _ = browse("/?lang=en")
    wait_for_layer(page, "sites")
    assert page.locator(".hongtu-search input").get_attribute("placeholder") == "Search red sites"
    assert page.locator("html").get_attribute("lang") == "en"


def test_phone_menu_opens_and_pinch_zoom_is_allowed(browse):
    page, _ = browse("/", viewport=PHONE)
    wait_for_layer(page, "sites")
    assert not page.locator("#nav-links").is_visible()
    page.click(".navbar-toggler")
    assert page.locator("#nav-links a[href='/plan']").is_visible()
    viewports = page.locator("meta[name=viewport]")
    assert viewports.count() == 1
    assert "user-scalable=no" not in viewports.get_attribute("content")


def test_a_gcj02_basemap_shifts_markers_and_boundaries(browse, demo_engine):
    page, watch = browse("/?basemap=amap")
    wait_for_layer(page, "sites")
    site = _site(demo_engine, "林则徐纪念馆")
    shown = page.evaluate(
        "id => { const m = Hongtu.layers.sites.markers.find(m => m.siteId === id);"
        " return m && [m.getLatLng().lng, m.getLatLng().lat]; }",
        site.id,
    )
    expected = coordsys.convert(site.lon, site.lat, "wgs84", "gcj02")
    assert shown == pytest.approx(list(expected), abs=2e-6)
    assert abs(shown[0] - site.lon) > 0.003  # about 500 m east, as Amap draws it
    assert watch.basemap_tiles and all("autonavi" in url for url in watch.basemap_tiles)
    assert any("/tiles/regions/" in url and "coordsys=gcj02" in url for url, _ in watch.requests)
