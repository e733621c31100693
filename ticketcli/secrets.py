"""Passwords (and tokens, client secrets) from an environment variable, a
file or a command -- never the config.

Errors name where the secret was to come from, never what it is. ``kind``
is the key family the reference came from (``password``, ``token``,
``client_secret``), so an error names the key the user wrote.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ticketcli.errors import ConfigError

if TYPE_CHECKING:
    from ticketcli.config import SecretRef


def read_secret(ref: SecretRef, what: str, kind: str = "password") -> str:
    if ref.env:
        value = os.environ.get(ref.env)
        if value is None:
            raise ConfigError(f"{what}: environment variable {ref.env} is not set")
        return value
    if ref.file:
        try:
            return (
                Path(ref.file).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
            )
        except OSError as exc:
            raise ConfigError(
                f"{what}: cannot read {kind}_file {ref.file} ({exc.strerror})"
            ) from None
    if ref.command:
        try:
            done = subprocess.run(
                shlex.split(ref.command), capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(
                f"{what}: {kind}_command failed ({type(exc).__name__})"
            ) from None
        if done.returncode != 0:
            raise ConfigError(f"{what}: {kind}_command exited {done.returncode}")
        return done.stdout.decode("utf-8", "replace").rstrip("\r\n")
    raise ConfigError(f"{what}: no {kind}_env, {kind}_file or {kind}_command")
