"""Compare an imported record with microdir's export of it, field by field, children matched by id."""

from __future__ import annotations

import re
from typing import Any


def differences(original: Any, exported: Any, allowed: set[str], path: str = "") -> list[str]:
    """Return the paths where ``exported`` lost or changed what ``original`` said (allow-listed paths excepted).

    A path uses ``[]`` for any list element, e.g. ``service_at_locations[].location.name``.
    """
    if any(re.fullmatch(pattern, path) for pattern in allowed):
        return []
    if isinstance(original, dict):
        if not isinstance(exported, dict):
            return [f"{path}: was an object, now {exported!r}"]
        found: list[str] = []
        for key, value in original.items():
            child = f"{path}.{key}" if path else key
            if any(re.fullmatch(pattern, child) for pattern in allowed):
                continue
            if key not in exported:
                found.append(f"{child}: lost")
                continue
            found += differences(value, exported[key], allowed, child)
        return found
    if isinstance(original, list):
        if not isinstance(exported, list):
            return [f"{path}: was a list, now {exported!r}"]
        if all(isinstance(x, dict) and "id" in x for x in original):
            by_id = {x.get("id"): x for x in exported if isinstance(x, dict)}
            found = []
            for item in original:
                if item["id"] not in by_id:
                    found.append(f"{path}[] id {item['id']}: lost")
                else:
                    found += differences(item, by_id[item["id"]], allowed, f"{path}[]")
            return found
        return [] if original == exported else [f"{path}: {original!r} became {exported!r}"]
    if isinstance(original, (int, float)) and isinstance(exported, (int, float)) and not isinstance(original, bool):
        return [] if float(original) == float(exported) else [f"{path}: {original!r} became {exported!r}"]
    return [] if original == exported else [f"{path}: {original!r} became {exported!r}"]
