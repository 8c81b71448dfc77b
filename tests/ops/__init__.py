"""Running it: start-up, CLI, backups, crashes, outages, logs."""
