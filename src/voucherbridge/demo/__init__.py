"""The demo merchant and the world `voucherbridge demo` runs."""
