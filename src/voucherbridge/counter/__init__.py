"""At the counter: scans, merchant and platform codes, reversal, orders, checkout."""
