"""The in-process locks are the real ones (servers.cache.locks.MemoryLocks): no fake is needed."""

from servers.cache.locks import MemoryLocks

__all__ = ["MemoryLocks"]
