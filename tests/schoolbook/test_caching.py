"""Parts of pages (schoolbook.caching.cached_part): kept in Redis and in the process's memory under the
version of what they show, each read a copy, until the moment they stop being right by themselves."""

import time

from schoolbook.caching import cached_part, forget_local, platform_cache


def test_a_part_is_kept_in_memory_and_in_redis_until_it_stops_being_right(db):
    builds = []

    def build():
        builds.append(1)
        return f"v{len(builds)}", 2  # right for two seconds

    def part(version=1):
        return cached_part("test", schemas=["public"], viewer=1, version=version, build=build)

    assert part() == part() == "v1" and len(builds) == 1
    platform_cache().clear()  # gone from Redis: this process keeps its copy
    assert part() == "v1"
    forget_local()  # gone everywhere: built again
    assert part() == "v2"
    forget_local()  # in Redis only: read from there
    assert part() == "v2" and len(builds) == 2
    assert part(version=2) == "v3"  # another version of its rows is another part
    time.sleep(2.1)
    assert part() == "v4"  # no longer right by itself: neither copy is used


def test_each_read_is_a_copy(db):
    def read():
        return cached_part("test", schemas=["public"], viewer=1, version=1, build=lambda: ({"a": 1}, None))

    read()["a"] = 2
    assert read() == {"a": 1}
