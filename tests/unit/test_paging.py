import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servers.runtime.errors import ApiError, Code
from servers.runtime.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageTokens, page_size

SECRET = "unit-test-page-token-secret"
TOKENS = PageTokens(SECRET)
FILTERS = {"city": "paris", "country": "FR"}

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=30)
positions = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
filter_sets = st.dictionaries(st.text(max_size=12), json_scalars, max_size=5)


def rejected_token(token: str, kind: str = "hotels", filters=FILTERS, tokens: PageTokens = TOKENS) -> ApiError:
    with pytest.raises(ApiError) as caught:
        tokens.read(token, kind, filters)
    error = caught.value
    assert error.code is Code.INVALID_ARGUMENT
    assert [v.field for v in error.field_violations] == ["page_token"]
    return error


def decoded(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@given(kind=st.text(min_size=1, max_size=20), filters=filter_sets, position=positions)
def test_token_reads_back_the_position_it_was_issued_for(kind, filters, position):
    token = TOKENS.issue(kind, filters, position)
    assert TOKENS.read(token, kind, filters) == position


@given(position=positions)
def test_token_is_url_safe_text_without_padding(position):
    token = TOKENS.issue("hotels", FILTERS, position)
    assert "=" not in token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_empty_token_means_the_first_page():
    assert TOKENS.read("", "hotels", FILTERS) is None


def test_token_filters_compare_regardless_of_key_order():
    token = TOKENS.issue("hotels", {"city": "paris", "country": "FR"}, "h-1")
    assert TOKENS.read(token, "hotels", {"country": "FR", "city": "paris"}) == "h-1"


def test_token_with_a_rewritten_position_is_rejected():
    token = TOKENS.issue("hotels", FILTERS, "lisbon-grand-central")
    raw = decoded(token)
    forged = raw[:16] + raw[16:].replace(b"lisbon", b"berlin")
    assert forged != raw
    rejected_token(encoded(forged))


def test_token_with_a_changed_signature_byte_is_rejected():
    raw = bytearray(decoded(TOKENS.issue("hotels", FILTERS, 42)))
    raw[3] ^= 0x01
    rejected_token(encoded(bytes(raw)))


def test_token_signed_with_another_secret_is_rejected():
    other = PageTokens("another-secret-of-another-deployment")
    rejected_token(other.issue("hotels", FILTERS, 42))


@pytest.mark.parametrize("token", ["x", "not-a-token", "!!!!", "é", "AAAA", encoded(b"\x00" * 40)])
def test_garbage_token_is_invalid_argument(token):
    error = rejected_token(token)
    assert "issued" in error.message


def test_token_of_another_listing_kind_is_rejected():
    error = rejected_token(TOKENS.issue("room_types", FILTERS, 42), kind="hotels")
    assert "another query" in error.message


@pytest.mark.parametrize("filters", [
    {"city": "lisbon", "country": "FR"},
    {"city": "paris", "country": ""},
    {"city": "paris"},
    {"city": "paris", "country": "FR", "extra": 1},
])
def test_token_read_with_other_filters_is_rejected(filters):
    rejected_token(TOKENS.issue("hotels", FILTERS, 42), filters=filters)


def test_page_size_zero_takes_the_default():
    assert page_size(0) == DEFAULT_PAGE_SIZE
    assert page_size(0, default=7) == 7


@pytest.mark.parametrize("requested", [1, 17, MAX_PAGE_SIZE])
def test_page_size_within_bounds_is_kept(requested):
    assert page_size(requested) == requested


@pytest.mark.parametrize("requested, maximum", [(-1, MAX_PAGE_SIZE), (MAX_PAGE_SIZE + 1, MAX_PAGE_SIZE), (11, 10)])
def test_page_size_out_of_bounds_is_invalid_argument(requested, maximum):
    with pytest.raises(ApiError) as caught:
        page_size(requested, maximum=maximum)
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert [v.field for v in caught.value.field_violations] == ["page_size"]

