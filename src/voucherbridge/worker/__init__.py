"""The outbox worker process."""
