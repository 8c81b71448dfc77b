"""Local, faithful copies of the platforms for the demo and the tests.

The product never imports this package; it imports only the product's public wire
formats (the signing modules)."""
