"""The hash-chained audit log and the alerts read from it."""
