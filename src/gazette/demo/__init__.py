"""A local demo publisher (feeds and article pages over HTTP) that ``gazette demo`` ingests."""

from gazette.demo.publisher import DemoArticle, DemoFeed, DemoPublisher

__all__ = ["DemoArticle", "DemoFeed", "DemoPublisher"]
