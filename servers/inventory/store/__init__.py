"""Inventory's SQL: statements over servers/storage's tables; no protos, no grpc, nothing of flows or api."""
