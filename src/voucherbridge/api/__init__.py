"""HTTP entry points: routes translate between JSON and use cases, nothing more."""
