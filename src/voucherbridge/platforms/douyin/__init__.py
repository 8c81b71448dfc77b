"""Douyin Open Platform (抖音来客 life service): client, inbound SPIs, signing."""
