"""The dashboard: server-rendered pages (Jinja2) on the same FastAPI app as the API.

Pages render their frame, the shared filter bar and the forms on the server; each report's
numbers come from its JSON endpoint under `/api/v1/reports/...`, which the page's script
fetches with the same query string (so a report's page, its JSON and its CSV never
disagree). Logins are server-side sessions (accounts/websessions.py); every form post
carries the session's CSRF token.
"""
