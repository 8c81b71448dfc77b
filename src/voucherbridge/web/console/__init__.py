"""console pages."""
