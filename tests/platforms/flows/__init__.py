"""Whole flows against the platform simulators on loopback."""
