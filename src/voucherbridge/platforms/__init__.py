"""Douyin, Meituan and the micro-mall: bindings, purchases, sync, clients."""
