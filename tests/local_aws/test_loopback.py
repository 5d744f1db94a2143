"""Each endpoint's data plane has loopback addresses of its own (dataplane/loopback.py)."""

from tools.local_aws.dataplane import loopback


def test_an_endpoint_has_a_slash_24_of_its_own_split_between_postgres_and_redis():
    postgres = loopback.addresses(loopback.POSTGRES_HOSTS, 5000)
    redis = loopback.addresses(loopback.REDIS_HOSTS, 5000)
    assert (postgres[0], postgres[-1], redis[0], redis[-1]) == (
        "127.19.136.1", "127.19.136.127", "127.19.136.128", "127.19.136.254")
    others = loopback.addresses(loopback.POSTGRES_HOSTS, 5001) + loopback.addresses(loopback.REDIS_HOSTS, 5001)
    assert not set(postgres + redis) & set(others)


def test_an_address_another_process_has_is_skipped():
    first = loopback.free_address(loopback.POSTGRES_HOSTS, 6543, taken=set())
    assert loopback.free_address(loopback.POSTGRES_HOSTS, 6543, taken={first}) != first
