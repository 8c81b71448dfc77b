"""Micro-mall (微商城, 聚微量-like): signed envelope, client, inbound pushes and a loopback
simulator (PROTOCOLS.md §4, a modelled contract)."""
