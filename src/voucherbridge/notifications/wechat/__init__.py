"""The WeChat official account (公众号) template-message adapter (PROTOCOLS.md §3)."""
