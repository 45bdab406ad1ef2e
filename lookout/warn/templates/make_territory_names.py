"""Regenerate ``territory_names.csv``: every shipped territory's name in each template's language.

The names are the Unicode CLDR's (Unicode License v3), as babel ships them; babel is not a
Lookout dependency: run this in a scratch environment::

    pip install babel && python make_territory_names.py

One row per ISO 3166-1 alpha-2 code of ``lookout/assess/data/territories.csv`` (and "GU"). A
template's own ``territories`` (the names its authority uses: "the United States", 우리나라)
come first; these fill in the rest, so a launch from anywhere is named, not "an unknown site".
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from babel import Locale

TERRITORIES = Path(__file__).parents[2] / "assess" / "data" / "territories.csv"
LANGUAGES = ("en", "ja", "ko", "es", "he", "ar", "hi", "nb")


def main(out: Path) -> None:
    names = {lang: Locale(lang).territories for lang in LANGUAGES}
    lines = [ln for ln in TERRITORIES.read_text().splitlines() if not ln.startswith("#")]
    codes = sorted({row["code"] for row in csv.DictReader(lines)})
    missing = [c for c in codes if any(c not in names[lang] for lang in LANGUAGES)]
    if missing:
        sys.exit(f"no CLDR name for {missing}")
    with out.open("w", newline="", encoding="utf-8") as f:
        f.write(
            "# Territory names from the Unicode CLDR (Unicode License v3), as babel ships them.\n"
        )
        f.write("# Regenerate with make_territory_names.py.\n")
        w = csv.writer(f)
        w.writerow(["code", *LANGUAGES])
        for c in codes:
            w.writerow([c, *(names[lang][c] for lang in LANGUAGES)])


if __name__ == "__main__":
    main(Path(__file__).with_name("territory_names.csv"))
