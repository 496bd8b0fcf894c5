"""Google Ads API: OAuth bearer plus developer token, GAQL over `searchStream`, int64 values as strings."""
