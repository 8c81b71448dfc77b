"""At the counter: scans, redemptions, reversals, orders, checkout, receipts, throttling."""
