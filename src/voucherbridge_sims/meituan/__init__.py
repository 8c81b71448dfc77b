"""Meituan / Dianping group-buy simulator."""
