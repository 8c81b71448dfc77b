"""Douyin Open Platform (抖音来客 life service): signing helpers and a loopback simulator."""
