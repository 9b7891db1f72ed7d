"""NYC 311 service requests: the city's non-emergency request line (NYC Open Data erm2-nwe9)."""
