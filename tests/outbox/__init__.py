"""The outbox worker: delivery, retries, leases."""
