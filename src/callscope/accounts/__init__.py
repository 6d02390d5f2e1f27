"""Accounts (tenants), their users and API tokens, and the auth dependencies of the API."""
