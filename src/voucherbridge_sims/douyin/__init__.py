"""Douyin Open Platform simulator."""
