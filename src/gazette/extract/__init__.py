"""Extract stage: a fetched page becomes an article — text (trafilatura, ftfy), date, language, safe HTML."""
