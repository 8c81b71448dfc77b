"""The admin API and the console pages a merchant works in."""
