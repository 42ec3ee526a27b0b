"""The channel our own services reach InventoryService through: balanced over its replicas, health-aware.

`inventory_target` names one replica ("host:port") or several ("10.0.0.1:50051,10.0.0.2:50051"). Several
are IP addresses (gRPC's static `ipv4:`/`ipv6:` resolver takes a list; a DNS name stands for one address
set, so a name comes alone: `dns:///inventory.internal:50051` resolves to all of its replicas).

On the channel, gRPC core itself does the work:
- round_robin: each call goes to the next ready replica, not all to the first one connected;
- client-side health checking: each replica is watched on grpc.health.v1 for the inventory service name;
  one that says NOT_SERVING (it is draining) or vanishes leaves the rotation until it serves again;
- retries, for UNAVAILABLE (the replica was gone before it answered) and a server's CANCELLED (a replica
  stopping without grace cancels the calls it holds; a call our side cancelled is never retried, gRPC drops
  it): every InventoryService call our
  services make is safe to send twice. GetHotel and GetAvailability are reads; HoldInventory, ReleaseHold,
  CommitHold and ApplyPartnerReservation carry a request id the server keys its idempotency record on (in
  the shared database), so a retry that lands on another replica answers what the first attempt did, and
  never makes a second hold, release, commit or sale. No other code is retried: DEADLINE_EXCEEDED and the
  rest reach the caller, whose deadline (InventoryClient's timeout) bounds every attempt together.
"""

from __future__ import annotations

import json

import grpc
from hotelagg.inventory.v1 import inventory_pb2

from clients.hotelagg.targets import grpc_target

INVENTORY_SERVICE = inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name

# Attempts include the first; backoff keeps a retry off a replica that is still going away.
_RETRY_POLICY = {"maxAttempts": 4, "initialBackoff": "0.05s", "maxBackoff": "0.5s", "backoffMultiplier": 2,
                 "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"]}

SERVICE_CONFIG = {
    "loadBalancingConfig": [{"round_robin": {}}],
    "healthCheckConfig": {"serviceName": INVENTORY_SERVICE},
    "methodConfig": [{"name": [{"service": INVENTORY_SERVICE}], "retryPolicy": _RETRY_POLICY}],
}


def inventory_channel(replicas: str) -> grpc.aio.Channel:
    """An insecure channel to the inventory replicas, balanced, health-checked and retrying as above."""
    return grpc.aio.insecure_channel(grpc_target(replicas), options=[
        ("grpc.service_config", json.dumps(SERVICE_CONFIG)),
        ("grpc.enable_retries", 1),
    ])
