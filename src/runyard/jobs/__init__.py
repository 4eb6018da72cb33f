"""Background work of a server process: long-running operations."""
