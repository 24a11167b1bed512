"""Helpers for dleverage's own tests: fault injection on a real cluster."""
