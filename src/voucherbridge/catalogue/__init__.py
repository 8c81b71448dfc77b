"""What is sold: items, voucher templates, listings, issuing codes."""
