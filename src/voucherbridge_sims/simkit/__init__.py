"""What every platform simulator shares: clock, faults, latency, recorded calls, the state file,
the merchant's products and the page a merchant plays the platform's side on."""
