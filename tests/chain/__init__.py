"""Users and sign-in: lock-out, accounts made from the command line."""
