"""Templates and their validity rules."""
