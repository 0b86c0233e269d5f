"""Pick ~400 real, live postcodes across the nine demo councils and write microdir/demo/postcodes.csv.

Run once by a developer (the product never reads ../shared at run time):

    .venv/bin/python scripts/make_demo_postcodes.py [/work/shared/geo]

Deterministic: the same source files always give the same output.
"""

from __future__ import annotations

import csv
import gzip
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "microdir" / "demo" / "postcodes.csv"
COUNCILS = {
    "E08000025": 90,  # Birmingham
    "E08000026": 40,  # Coventry
    "E08000027": 40,  # Dudley
    "E08000028": 45,  # Sandwell
    "E08000029": 35,  # Solihull
    "E08000030": 40,  # Walsall
    "E08000031": 40,  # Wolverhampton
    "E08000007": 35,  # Stockport
    "E08000034": 40,  # Kirklees
}
SKIP_OUTCODES = {"B40", "B99", "BD12", "WV8"}  # the NEC, a non-geographic district, two mostly outside
# GeoNames' "most populous locality" is sometimes a village outside the council or a bare city name;
# these are the names local people would use for the district.
TOWN_OVERRIDES = {
    "B1": "Birmingham city centre", "B2": "Birmingham city centre", "B3": "Jewellery Quarter",
    "B4": "Birmingham city centre", "B5": "Digbeth", "B7": "Nechells", "B9": "Bordesley Green",
    "B10": "Small Heath", "B11": "Sparkhill", "B12": "Balsall Heath", "B16": "Ladywood", "B18": "Hockley",
    "B19": "Lozells", "B20": "Handsworth Wood", "B23": "Erdington", "B34": "Shard End", "B35": "Castle Vale",
    "B44": "Kingstanding", "B45": "Rubery", "B62": "Halesowen", "B71": "West Bromwich", "B75": "Sutton Coldfield",
    "B76": "Walmley", "B92": "Olton", "CV6": "Radford", "DY3": "Sedgley", "DY9": "Lye", "WV4": "Penn",
    "WV6": "Tettenhall", "WV9": "Pendeford", "WV10": "Bushbury", "HD4": "Newsome", "HD7": "Slaithwaite",
    "HD8": "Kirkburton", "BD11": "Birkenshaw", "WF4": "Flockton", "CV2": "Wyken", "CV3": "Cheylesmore",
}


def main(shared: Path) -> None:
    """Read the shared postcode files and write the demo sample."""
    towns: dict[str, str] = {}
    with open(shared / "uk_outcodes.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            towns[row["outcode"]] = TOWN_OVERRIDES.get(row["outcode"], row["place_name"])
    by_council: dict[str, dict[str, list[tuple[str, str, str]]]] = defaultdict(lambda: defaultdict(list))
    with gzip.open(shared / "uk_postcodes.csv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["status"] != "live" or row["lad_code"] not in COUNCILS:
                continue
            outcode = row["postcode"].split()[0]
            if outcode in SKIP_OUTCODES or outcode not in towns:
                continue
            by_council[row["lad_code"]][outcode].append((row["postcode"], row["latitude"], row["longitude"]))
    rng = random.Random(2026)
    rows: list[tuple[str, str, str, str, str]] = []
    for lad_code, wanted in COUNCILS.items():
        districts = by_council[lad_code]
        # Only districts with a fair number of this council's postcodes, so a town name fits the council.
        outcodes = sorted(o for o, pcs in districts.items() if len(pcs) >= 40)
        picked: list[tuple[str, str, str, str, str]] = []
        pools = {o: rng.sample(districts[o], min(len(districts[o]), wanted)) for o in outcodes}
        while len(picked) < wanted:
            for outcode in outcodes:
                if pools[outcode] and len(picked) < wanted:
                    postcode, lat, lon = pools[outcode].pop()
                    picked.append((postcode, lat, lon, lad_code, towns[outcode]))
        rows.extend(sorted(picked))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["postcode", "latitude", "longitude", "lad_code", "town"])
        writer.writerows(rows)
    print(f"Wrote {len(rows)} postcodes to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "geo")
