"""The client side of the `runyard` command for people: connection options
(server, token, config file), calling the API over gRPC, printing answers
(tables, JSON, YAML) and errors with exit codes scripts can rely on.

- :mod:`.connection` — ``--server``/``--token``, their environment variables and
  the config file; a :class:`~.connection.Client` with the API's stubs
- :mod:`.errors` — a gRPC error as one readable line and its exit code
- :mod:`.output` — JSON/YAML exactly as the REST API's JSON; rich tables
- :mod:`.paging` — every page of a list, with a progress indicator
- :mod:`.render` — the tables and bar chart of runs, events and aggregates
"""
