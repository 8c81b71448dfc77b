"""Money and messages: the conversions and wordings every feature shares."""
