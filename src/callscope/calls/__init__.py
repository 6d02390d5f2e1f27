"""Calls: call records from providers, their raw events, attribution and caller history."""
