"""The `voucherbridge` command line."""
