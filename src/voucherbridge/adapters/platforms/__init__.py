"""Platform adapters: a client, a callback verifier and a local simulator per platform."""
