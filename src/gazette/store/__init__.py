"""Store: the database behind Gazette — tables, migrations and one query module per entity."""

# Importing the search module registers the mapper events that write each article's index entry in the
# article's own transaction, whichever store module (or test) writes the article.
from gazette.store import search as _search  # noqa: F401
