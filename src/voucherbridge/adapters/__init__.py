"""Adapters: database, platforms, notifiers, printing."""
