from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv

from servers.storage.idempotency import request_hash


def update(**fields) -> inv.UpdateInventoryRequest:
    values = dict(
        request_id="r-1", hotel_id="paris-grand", room_type_code="DBL",
        start_date=common_pb2.Date(year=2026, month=6, day=1), end_date=common_pb2.Date(year=2026, month=6, day=3),
        total_rooms=8,
    )
    values.update(fields)
    return inv.UpdateInventoryRequest(**values)


def test_hash_ignores_the_request_id():
    assert request_hash(update(request_id="r-1")) == request_hash(update(request_id="another-key"))
    assert request_hash(update(request_id="r-1")) == request_hash(update(request_id=""))


def test_hash_differs_when_the_body_differs():
    hashes = {
        request_hash(update()),
        request_hash(update(total_rooms=9)),
        request_hash(update(hotel_id="lisbon-grand")),
        request_hash(update(end_date=common_pb2.Date(year=2026, month=6, day=4))),
        request_hash(update(stop_sell=False)),
    }
    assert len(hashes) == 5


def test_hash_tells_an_unset_optional_from_its_zero_value():
    assert request_hash(update(total_rooms=0)) != request_hash(inv.UpdateInventoryRequest(
        request_id="r-1", hotel_id="paris-grand", room_type_code="DBL",
        start_date=common_pb2.Date(year=2026, month=6, day=1), end_date=common_pb2.Date(year=2026, month=6, day=3),
    ))


def test_hash_leaves_the_request_untouched():
    request = update(request_id="keep-me")
    request_hash(request)
    assert request.request_id == "keep-me"


def test_hash_is_sha256_hex_that_fits_the_column():
    digest = request_hash(update())
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_hash_is_the_same_for_the_same_body_built_in_another_order():
    a = inv.CreateHotelRequest(request_id="a", hotel_id="h-one")
    a.hotel.name = "One"
    a.hotel.city = "Paris"
    b = inv.CreateHotelRequest(hotel=inv.Hotel(city="Paris", name="One"), hotel_id="h-one", request_id="b")
    assert request_hash(a) == request_hash(b)
