"""Publish: the web app (pages, JSON API, search), its feeds and sitemaps, the static build; reads store/."""
