"""Sources, fetching, ingest into typed layers, and their quality reports."""
