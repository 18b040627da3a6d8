"""Ingest stage: fetching (httpx, address guard, politeness, robots.txt) and reading feeds, OPML and WARC."""
