"""cashier pages."""
