"""What every platform simulator shares: clock, faults, latency, recorded calls."""
