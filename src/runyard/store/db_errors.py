"""Database trouble as API errors: a lost or unreachable database is
UNAVAILABLE (retryable), a value the database cannot hold is the caller's
INVALID_ARGUMENT, and neither carries SQL or driver text to the caller."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError

from runyard.aip.errors import ApiError, invalid_argument, unavailable

log = logging.getLogger(__name__)


def unstorable(cause: BaseException | None) -> ApiError:
    """INVALID_ARGUMENT for a value the database refused (the driver's DataError)."""
    log.info("value refused by the database: %s", type(cause).__name__)
    return invalid_argument(
        "",
        "a value cannot be stored (a NUL character, or a number out of range)",
        "UNSTORABLE_VALUE",
    )


@contextmanager
def guard() -> Iterator[None]:
    """Database trouble becomes UNAVAILABLE (retryable), never INTERNAL with SQL in it."""
    try:
        yield
    except ApiError:
        raise
    except IntegrityError:
        raise
    except DataError as exc:
        # A value the database cannot hold (PostgreSQL refuses NUL characters in
        # text): the caller's data, not our failure.
        raise unstorable(exc.orig) from None
    except DBAPIError as exc:
        # Lost connections, a server shutting down, timeouts: the caller may retry.
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            raise unreachable(exc.orig) from exc
        raise


def unreachable(driver_error: BaseException | None) -> ApiError:
    """UNAVAILABLE for a database that cannot be reached or a lost connection.
    The driver's message says why (locked, timeout, connection lost): its first
    line goes to the log (no SQL: that is not in the driver's message), the
    caller gets a plain UNAVAILABLE."""
    text = str(driver_error).strip().splitlines()
    why = text[0][:300] if text else "no message"
    log.warning("database unavailable: %s: %s", type(driver_error).__name__, why)
    return unavailable("the database is unavailable; retry shortly")
