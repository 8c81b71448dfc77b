"""Meituan / Dianping group-buy (团购券): client and signing (PROTOCOLS §2)."""
