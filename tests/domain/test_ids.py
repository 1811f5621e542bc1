"""Record ids: time-ordered across milliseconds; `RisingIds` within one millisecond too."""

from __future__ import annotations

from leadblock.domain.ids import RisingIds, is_record_id, new_id


def test_ids_of_later_milliseconds_sort_later() -> None:
    assert new_id(1_000) < new_id(1_001)


def test_rising_ids_sort_in_the_order_they_are_made_within_one_millisecond() -> None:
    ids = RisingIds()
    made = [ids.next(1_900_000_000_000) for _ in range(1_000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(is_record_id(made_id) for made_id in made)
    # A later millisecond starts afresh, still after everything before it.
    later = ids.next(1_900_000_000_001)
    assert later > made[-1]
    assert later.startswith(f"{1_900_000_000_001:012x}")
