"""Micro-mall (微商城) simulator."""
