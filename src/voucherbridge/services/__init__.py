"""Use cases. Each takes a unit of work and plain arguments, and commits explicitly."""
