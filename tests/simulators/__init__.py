"""Tests of the platform simulators (loopback imitations of Douyin, Meituan, ...)."""
