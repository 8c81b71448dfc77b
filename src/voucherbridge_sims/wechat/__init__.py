"""WeChat official-account simulator (template messages, tokens; later OAuth and Pay)."""
