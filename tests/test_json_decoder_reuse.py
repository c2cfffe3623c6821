"""JSON documents share one decoder per thread: nothing one document's hooks saw (a key
given twice, NaN, an over-long integer) may reach the next document's warnings."""

from __future__ import annotations

import threading

from modeltrail.store.read.readers.structured import load_document


def test_a_documents_warnings_are_its_own_however_many_came_before() -> None:
    noisy = [
        b'{"a": 1, "a": 2}',
        b'{"x": NaN}',
        b'{"n": ' + b"1" * 5000 + b"}",
        b'{"a": ',  # broken half-way
    ]
    for doc in noisy:
        _value, warnings = load_document(doc, "json")
        assert warnings
        value, warnings = load_document(b'{"a": {"b": 1.5}}', "json")
        assert (value, warnings) == ({"a": {"b": 1.5}}, [])


def test_threads_parse_at_the_same_time_without_mixing_warnings() -> None:
    results: dict[int, list[list[str]]] = {}

    def parse(i: int) -> None:
        doc = b'{"k": 1, "k": 2}' if i % 2 else b'{"k": 1}'
        results[i] = [list(load_document(doc, "json")[1]) for _ in range(300)]

    threads = [threading.Thread(target=parse, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, runs in results.items():
        assert all(bool(w) == bool(i % 2) for w in runs), i
