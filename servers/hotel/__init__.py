"""The hotel kernel: what every service knows about hotels, room types, stays and nights (ids and codes,
stay rules, restrictions, the one sellable rule, etags, error reasons). It imports no service."""
