"""The cashier page (`/cashier`): a browser client of the Terminal API for the counter."""
