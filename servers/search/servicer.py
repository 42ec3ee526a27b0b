"""SearchService: cache-first availability search (built by issue 5)."""

from __future__ import annotations

from hotelagg.search.v1 import search_pb2_grpc

from servers.runtime.errors import not_built_yet


class SearchServicer(search_pb2_grpc.SearchServiceServicer):
    SearchAvailability = not_built_yet("SearchAvailability")
