"""The typed Python client of hotelagg's own services, for internal microservices.

    async with grpc.aio.insecure_channel(address) as channel:
        inventory = InventoryClient(channel, service_token=SERVICE_TOKEN)  # HOTELAGG_SERVICE_TOKEN
        hold = await inventory.hold("req-1", "paris-grand-central", "STD", date(2026, 12, 1), date(2026, 12, 3), 1)

Every failure is a HotelaggError with the google.rpc.Status details decoded (code, reason, metadata).
"""

from clients.hotelagg.errors import HotelaggError
from clients.hotelagg.inventory import InventoryClient

__all__ = ["HotelaggError", "InventoryClient"]
