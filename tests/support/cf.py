from functools import cache
from importlib.resources import files
from xml.etree import ElementTree

import cf_units


@cache
def cf_standard_names() -> dict[str, str]:
    """standard_name (and alias) → canonical units, from the table compliance-checker ships."""
    root = ElementTree.fromstring(files("compliance_checker").joinpath("data/cf-standard-name-table.xml").read_bytes())
    names = {entry.get("id", ""): entry.findtext("canonical_units") or "" for entry in root.iter("entry")}
    for alias in root.iter("alias"):
        target = alias.findtext("entry_id") or ""
        if target in names:
            names[alias.get("id", "")] = names[target]
    return names


def units_agree(units: str, canonical: str) -> bool:
    return cf_units.Unit(units).is_convertible(cf_units.Unit(canonical or "1"))
