"""Meituan / Dianping group-buy (团购券): client, signing and loopback simulator (PROTOCOLS §2)."""
