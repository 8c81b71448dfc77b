"""Consumer notifications (flow 10): queued in the outbox with the event, sent by the worker."""
