from hookline.dispatcher.backoff import Backoff


def test_doubles_while_failing_soon_and_resets_after_a_long_run() -> None:
    backoff = Backoff(first=1.0, longest=5.0, after_stable=0.0)
    assert [backoff.next(lived=0.1) for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.next(lived=30.0) == 0.0  # a long life: it failed of something new
    assert backoff.next(lived=0.1) == 1.0
    assert backoff.next() == 2.0  # a start that failed before it ran counts as soon
