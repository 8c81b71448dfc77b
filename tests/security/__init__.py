"""Tenancy, hostile input and the whole API under schemathesis."""
