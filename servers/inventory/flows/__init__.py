"""What happens in inventory, on the store and the hotel kernel: no SQL text, no protos, no grpc."""
