"""What ./vb demo starts and prints."""
