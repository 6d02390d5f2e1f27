"""Websites that carry the tracking snippet: allowed domains, public site key, business number."""
