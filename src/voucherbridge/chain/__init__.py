"""The chain itself: merchants, stores, terminals, users, sign-in."""
