"""The map pages in Debian's chromium on the demo data: offline, escaped, usable at 390 px."""

from __future__ import annotations

import pytest
from conftest import DESKTOP, PHONE, XSS_NAME, screenshot, wait_for_layer
from sqlalchemy import text

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
    page.evaluate(f"Hongtu.map.setView([{site.lat}, {site.lon}], 18)")
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
    page.wait_for_function("document.readyState === 'complete'")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{path} scrolls sideways at 390 px: {width}"
    screenshot(page, "phone" + path.replace("/", "-"))


def test_admin_layers_draw_for_admins_only(browse):
    page, _ = browse("/", admin=True)
    wait_for_layer(page, "zones")
    assert page.evaluate("'zones' in Hongtu.layers")
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
