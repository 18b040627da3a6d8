"""A local demo publisher (feeds and article pages over HTTP) that ``gazette demo`` ingests."""

from gazette.demo.publisher import DEMO_PORT, DemoArticle, DemoFeed, DemoPublisher

__all__ = ["DEMO_PORT", "DemoArticle", "DemoFeed", "DemoPublisher"]
