"""Side effects outside our database, delivered at least once by the worker."""
