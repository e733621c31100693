"""Load what a module needs only sometimes when it is first used.

Start-up is what cron and people feel (issue 18): ``ticketcli --help`` need
not load a command, ``report`` not the mail pipeline, a report on the
terminal not the code that mails it. A ticketcli import inside a function
would hide a cycle (tests/architecture forbids it), so such a dependency is
named instead, as ``"module:attribute"`` (or ``"module"``), and loaded here
on first use. import-linter cannot see a name in a string, so
tests/architecture/test_layers.py checks each one: that it resolves, and
that it points down the layers, never up.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def load(target: str) -> Any:
    """The attribute (or, without ``:attribute``, the module) ``target`` names,
    its module imported if it was not yet."""
    module, _sep, attribute = target.partition(":")
    found = importlib.import_module(module)
    return getattr(found, attribute) if attribute else found


def function(target: str) -> Callable[..., Any]:
    """A stand-in for the function (or class) ``target`` names, which loads
    it when first called: the module-level name stays, its cost moves to
    the one path that calls it."""

    @functools.cache
    def loaded() -> Callable[..., Any]:
        found: Callable[..., Any] = load(target)
        return found

    def call(*args: Any, **kwargs: Any) -> Any:
        return loaded()(*args, **kwargs)

    call.__name__ = call.__qualname__ = target.rpartition(":")[2]
    call.__doc__ = f"``{target}``, loaded when first called."
    return call
