"""The console the commands write to: a terminal, a pipe, a file, or nothing at all."""

from __future__ import annotations

import io

from fhircare.cli.common import _is_terminal


def test_a_closed_output_is_no_terminal_and_no_traceback() -> None:
    """Found by a review: with stdout closed (``>&-``) a finished load ended in a traceback
    asking whether None was a terminal."""
    closed = io.StringIO()
    closed.close()
    assert not _is_terminal(None) and not _is_terminal(closed)
