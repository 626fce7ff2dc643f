"""What the tests share that is not a pytest fixture (those are in the conftest.py files):

    paths.py            the repository's root and tests/fixtures
    feeds.py            feeds built in code and FeedSource, the connector that serves them
    cli.py              the CLI as a real process on a folder of its own
    dashboard.py        a fixed two-day district and driving the app through Pilot
    staged_district.py  a committed demo district with its next day staged
    hostile/            the hostile-input corpus and the CLI runs it goes through

The loopback servers that play each source are connectors/loopback (the benchmarks use
them too).
"""
