"""The cashier page (`/cashier`): a browser client of the Terminal API for the counter."""

# The till's key lives in this HttpOnly cookie; API calls from the page add the CSRF header.
CASHIER_COOKIE = "vb_cashier"
CSRF_HEADER = "X-CSRF-Token"
