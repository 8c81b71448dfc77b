"""What every platform simulator shares: a settable clock, fault and latency injection, call
recording, the common ``/_sim/`` hooks and a loopback server thread (PROTOCOLS.md §6)."""
