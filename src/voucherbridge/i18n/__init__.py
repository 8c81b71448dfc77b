"""Localized messages: zh-CN by default, English on request."""
