"""`/brief`, the daily brief and the persistent story buttons."""
