"""Sitemap parts are read as slices (head in memory, articles by offset on the sort index): they must equal the
plain split of the whole list, and the index's lastmods the newest change in each part."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gazette.config import Settings
from gazette.publish import syndication
from gazette.publish.pages import Site
from gazette.store.db import Database

NS = {"s": syndication.SITEMAP_NS}


def test_parts_and_index_equal_the_split_of_the_whole_list(site: tuple[Settings, Database]) -> None:
    settings, db = site
    gazette = Site(settings, db)
    whole = syndication.sitemap_paths(gazette)
    articles = sum(1 for path, _ in whole if path.startswith("/content/"))
    assert articles == 27
    for limit in (7, 25, len(whole) - articles + 3):  # parts that cut the head, the articles, and between
        chunks = [whole[i : i + limit] for i in range(0, len(whole), limit)]
        index = ET.fromstring(syndication.render_sitemap(gazette, limit=limit).body)
        lastmods = [e.findtext("s:lastmod", namespaces=NS) for e in index.findall("s:sitemap", NS)]
        assert len(lastmods) == len(chunks)
        for n, chunk in enumerate(chunks, start=1):
            part = ET.fromstring(syndication.render_sitemap_part(gazette, n, limit=limit).body)
            locs = [u.findtext("s:loc", namespaces=NS) for u in part.findall("s:url", NS)]
            assert locs == [gazette.absolute(path) for path, _ in chunk]
            newest = max((m for _, m in chunk if m is not None), default=None)
            assert lastmods[n - 1] == (syndication._iso(newest) if newest else None)
