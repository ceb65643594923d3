"""Country names as retailers write them -> ISO 3166-1 alpha-3 codes, for maps.

Names are looked up in an explicit alias table first, then in :mod:`pycountry`
(official, common and historic names). Names that are no single country are
never guessed: they are returned as *unplaced*, so a map can say what it left out.

Decisions worth knowing:

* ``EIRE`` is Ireland (IRL), ``RSA`` South Africa (ZAF), ``USA`` the United States,
  ``Korea`` the Republic of Korea (KOR), ``UK`` / ``Great Britain`` the United Kingdom.
* ``Channel Islands`` is unplaced: it covers two ISO territories, Jersey (JEY) and
  Guernsey (GGY), and the data does not say which; picking one would misplace customers.
* ``European Community``, ``West Indies``, ``Unspecified`` and empty names are unplaced.

The country outlines for maps (:func:`world_geojson`) are ``world-110m.json`` beside this
module: ``countries-110m.json`` of the npm package world-atlas 2.0.2, unchanged (Natural
Earth 1:110m, public domain; TopoJSON packaging copyright 2013-2019 Michael Bostock, ISC
licence). At that scale some small countries (Singapore, Malta, Bahrain, Hong Kong) have
no outline; :func:`world_geojson` users can list them with :func:`mapped_codes`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry

#: Country outlines as TopoJSON (see the module docstring for its source and licence).
WORLD_TOPOJSON = Path(__file__).with_name("world-110m.json")

#: Spellings pycountry does not know, lower-cased -> ISO-3 code.
ALIASES: dict[str, str] = {
    "eire": "IRL",
    "ireland": "IRL",
    "rsa": "ZAF",
    "usa": "USA",
    "us": "USA",
    "united states of america": "USA",
    "uk": "GBR",
    "great britain": "GBR",
    "england": "GBR",
    "scotland": "GBR",
    "wales": "GBR",
    "northern ireland": "GBR",
    "korea": "KOR",
    "south korea": "KOR",
    "czech republic": "CZE",
    "russia": "RUS",
    "hong kong": "HKG",
}

#: Names that are not one country, lower-cased, with the reason they stay off the map.
UNPLACED: dict[str, str] = {
    "channel islands": "two territories (Jersey and Guernsey), not one",
    "european community": "a group of countries, not one",
    "west indies": "a region of many countries",
    "unspecified": "no country given",
    "": "no country given",
}


@dataclass(frozen=True)
class PlacedCountries:
    """ISO-3 codes of the names that could be placed, and the names that could not."""

    codes: dict[str, str]
    unplaced: tuple[str, ...]


def iso3(name: str | None) -> str | None:
    """ISO-3 code of one country name, or ``None`` when it is not one placeable country."""
    if name is None:
        return None
    key = " ".join(str(name).split()).lower()
    if key in UNPLACED:
        return None
    if key in ALIASES:
        return ALIASES[key]
    try:
        return pycountry.countries.lookup(key).alpha_3
    except LookupError:
        return None


def place_countries(names: Iterable[str | None]) -> PlacedCountries:
    """Codes of the distinct names that can be placed; the others, sorted, as unplaced."""
    codes: dict[str, str] = {}
    unplaced: set[str] = set()
    for name in names:
        if name is None or name != name:  # None or NaN
            unplaced.add("(missing)")
            continue
        code = iso3(name)
        if code is None:
            unplaced.add(str(name))
        else:
            codes[str(name)] = code
    return PlacedCountries(codes=codes, unplaced=tuple(sorted(unplaced)))


def country_label(code: str) -> str:
    """The common English name of an ISO-3 code (the code itself when unknown)."""
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def world_geojson() -> dict:
    """GeoJSON of the world's countries, each feature's ``id`` its ISO-3 code.

    A fresh dictionary on every call, so callers may change it.
    """
    return json.loads(_world_geojson_text())


#: Below this zoom a map about 800 pixels wide shows the world more than once, side by side.
MIN_MAP_ZOOM = 0.75


def map_view(codes: Iterable[str]) -> tuple[dict[str, float], float]:
    """Centre (``lat``, ``lon``) and zoom of a web map that shows every country in ``codes``.

    Fitted to each country's largest landmass (France without French Guiana, the United
    States without Alaska); the whole world when no code has an outline.
    """
    wanted = set(codes)
    points = [
        point
        for feature in world_geojson()["features"]
        if feature["id"] in wanted
        for point in _largest_ring(feature["geometry"])
    ]
    if not points:
        return {"lat": 20.0, "lon": 10.0}, MIN_MAP_ZOOM
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    lon_span = max(max(lons) - min(lons), 1.0)
    lat_span = max(max(lats) - min(lats), 1.0)
    # A web map shows 360 degrees of longitude at zoom 0 and halves the span per level;
    # latitude is stretched towards the poles, so it gets twice the room.
    zoom = min(math.log2(360 / lon_span), math.log2(180 / lat_span)) - 0.3
    centre = {"lat": (max(lats) + min(lats)) / 2, "lon": (max(lons) + min(lons)) / 2}
    return centre, round(max(MIN_MAP_ZOOM, min(zoom, 5.0)), 2)


def _largest_ring(geometry: dict) -> list[list[float]]:
    """The outer ring with the largest area of a Polygon or MultiPolygon."""
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    return max((polygon[0] for polygon in polygons), key=_ring_area)


def _ring_area(ring: list[list[float]]) -> float:
    """Area of a ring in square degrees (shoelace formula)."""
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))) / 2


def mapped_codes() -> frozenset[str]:
    """ISO-3 codes that have an outline in :func:`world_geojson`."""
    return frozenset(feature["id"] for feature in world_geojson()["features"])


@lru_cache(maxsize=1)
def _world_geojson_text() -> str:
    """Decode the TopoJSON file into GeoJSON text (arcs delta-decoded and scaled)."""
    topology = json.loads(WORLD_TOPOJSON.read_text(encoding="utf-8"))
    (scale_x, scale_y), (shift_x, shift_y) = (
        topology["transform"]["scale"],
        topology["transform"]["translate"],
    )
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append([round(x * scale_x + shift_x, 4), round(y * scale_y + shift_y, 4)])
        arcs.append(points)

    def ring(indexes: list[int]) -> list[list[float]]:
        coordinates: list[list[float]] = []
        for index in indexes:
            points = arcs[index] if index >= 0 else arcs[~index][::-1]
            coordinates.extend(points if not coordinates else points[1:])
        return coordinates

    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        country = pycountry.countries.get(numeric=str(geometry.get("id", "")).zfill(3))
        if country is None or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        if geometry["type"] == "Polygon":
            coordinates = [ring(r) for r in geometry["arcs"]]
        else:
            coordinates = [[ring(r) for r in polygon] for polygon in geometry["arcs"]]
        features.append(
            {
                "type": "Feature",
                "id": country.alpha_3,
                "properties": {"name": geometry["properties"]["name"]},
                "geometry": {"type": geometry["type"], "coordinates": coordinates},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features})
