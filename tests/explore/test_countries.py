"""Country names to ISO-3 codes: aliases, pycountry lookups and names left unplaced."""

from __future__ import annotations

import pytest

from segmentation.explore.countries import (
    MIN_MAP_ZOOM,
    country_label,
    iso3,
    map_view,
    mapped_codes,
    place_countries,
    world_geojson,
)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("EIRE", "IRL"),
        ("RSA", "ZAF"),
        ("USA", "USA"),
        ("United Kingdom", "GBR"),
        ("Germany", "DEU"),
        ("Czech Republic", "CZE"),
        ("Korea", "KOR"),
        ("  united   kingdom ", "GBR"),
        ("Hong Kong", "HKG"),
    ],
)
def test_known_names_get_their_code(name: str, code: str) -> None:
    assert iso3(name) == code


@pytest.mark.parametrize(
    "name",
    ["Channel Islands", "European Community", "Unspecified", "West Indies", "", "Atlantis", None],
)
def test_names_that_are_no_single_country_are_not_placed(name: str | None) -> None:
    assert iso3(name) is None


def test_place_countries_lists_every_unplaced_name_once_and_sorted() -> None:
    names = ["EIRE", "Unspecified", "France", "Channel Islands", "Unspecified", None, "France"]
    placed = place_countries(names)
    assert placed.codes == {"EIRE": "IRL", "France": "FRA"}
    assert placed.unplaced == ("(missing)", "Channel Islands", "Unspecified")


def test_every_uci_country_is_placed_or_listed() -> None:
    names = [
        "United Kingdom", "France", "Australia", "Netherlands", "Germany", "Norway", "EIRE",
        "Switzerland", "Spain", "Poland", "Portugal", "Italy", "Belgium", "Lithuania", "Japan",
        "Iceland", "Channel Islands", "Denmark", "Cyprus", "Sweden", "Austria", "Israel",
        "Finland", "Bahrain", "Greece", "Hong Kong", "Singapore", "Lebanon",
        "United Arab Emirates", "Saudi Arabia", "Czech Republic", "Canada", "Unspecified",
        "Brazil", "USA", "European Community", "Malta", "RSA",
    ]  # fmt: skip
    placed = place_countries(names)
    assert set(placed.codes) | set(placed.unplaced) == set(names)
    assert placed.unplaced == ("Channel Islands", "European Community", "Unspecified")
    assert len(set(placed.codes.values())) == len(placed.codes)


def test_country_label_gives_a_readable_name() -> None:
    assert country_label("GBR") == "United Kingdom"
    assert country_label("XXX") == "XXX"


def test_world_outlines_are_geojson_keyed_by_iso3() -> None:
    world = world_geojson()
    assert world["type"] == "FeatureCollection"
    codes = [feature["id"] for feature in world["features"]]
    assert len(codes) == len(set(codes)) > 150
    assert {"GBR", "IRL", "FRA", "DEU", "USA", "ZAF", "AUS"} <= set(codes)
    uk = next(f for f in world["features"] if f["id"] == "GBR")
    lon, lat = uk["geometry"]["coordinates"][0][0][0]
    assert -9 < lon < 2 and 49 < lat < 61
    assert mapped_codes() == frozenset(codes)


def test_world_outlines_are_a_fresh_copy_each_time() -> None:
    world = world_geojson()
    world["features"].clear()
    assert world_geojson()["features"]


def test_map_view_frames_the_countries_shown():
    europe, europe_zoom = map_view(["FRA", "DEU", "ESP"])
    assert 40 < europe["lat"] < 50 and -5 < europe["lon"] < 10  # not pulled to French Guiana
    _, world_zoom = map_view(["FRA", "USA", "AUS", "JPN"])
    assert world_zoom == MIN_MAP_ZOOM < europe_zoom
    uk, uk_zoom = map_view(["GBR"])
    assert 50 < uk["lat"] < 59 and uk_zoom > europe_zoom
    assert map_view([]) == ({"lat": 20.0, "lon": 10.0}, MIN_MAP_ZOOM)
