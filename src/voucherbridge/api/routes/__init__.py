"""Route modules; each translates HTTP to one use case call."""
