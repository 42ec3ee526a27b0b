"""inventory_target's replica list, as the target gRPC's resolvers take (pure: settings check it at startup)."""

from __future__ import annotations

import ipaddress


def _split(replica: str) -> tuple[str, int]:
    host, sep, port = replica.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{replica!r} is not host:port")
    return host.removeprefix("[").removesuffix("]"), int(port)


def grpc_target(replicas: str) -> str:
    """The gRPC target for "host:port[,host:port...]"; ValueError (saying why) for anything else."""
    parts = [part.strip() for part in replicas.split(",")]
    if not all(parts):
        raise ValueError(f"{replicas!r} has an empty replica; expected host:port[,host:port...]")
    addresses = [_split(part) for part in parts]
    if len(addresses) == 1:
        host, port = addresses[0]
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return f"dns:///{host}:{port}"  # a name: all the addresses it resolves to are replicas
    ips = []
    for host, port in addresses:
        try:
            ips.append((ipaddress.ip_address(host), port))
        except ValueError:
            raise ValueError(f"{host!r} in {replicas!r}: a list of replicas must be IP addresses "
                             "(a DNS name comes alone and stands for all its addresses)") from None
    versions = {ip.version for ip, _ in ips}
    if len(versions) > 1:
        raise ValueError(f"{replicas!r} mixes IPv4 and IPv6 addresses")
    if versions == {4}:
        return "ipv4:" + ",".join(f"{ip}:{port}" for ip, port in ips)
    return "ipv6:" + ",".join(f"[{ip}]:{port}" for ip, port in ips)
