"""A deterministic generator of realistic ERP drops, CDC files and order events for the raw zone."""
