"""The Partner Gateway: partners, listings, outbound ARI deliveries and the bookings partners push to us."""
