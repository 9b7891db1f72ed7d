"""Which city services to look at first: what residents report to 311 beside what they say in public posts."""
