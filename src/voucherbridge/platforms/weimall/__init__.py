"""Micro-mall (微商城): signed envelope, client, inbound pushes."""
