"""Inventory's gRPC surface and webhook receiver: protos in, a flow or the store, protos out (no SQL)."""
