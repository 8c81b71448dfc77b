"""The hash-chained audit log, its verification, and the alerts read from it."""
