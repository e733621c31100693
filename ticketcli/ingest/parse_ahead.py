"""Parsing the next mails in a second process while this one stores them.

Parsing is about a third of what a sync spends per message and needs
nothing from the store, so on a machine with two cores a forked worker
parses the next few mails (``pipeline.read_mail``) while this process
threads, stores and commits the current one (issue 18). Nothing else
changes: mails are stored one by one, in the order their source yields
them, one transaction each, and a source marks a mail only once it is
committed. A mail parsed ahead and not yet stored when the run dies is
simply read again next time, as one still on the server would be; a
folder's memory of what it held waits until every mail of it is stored
(``sources.folders.StampsWhenStored``).

A run parses its first ``START_AFTER`` mails itself: most syncs from cron
bring a handful, for which a process costs more than it saves. The worker
watches its parent and leaves when the parent is gone (a killed sync
leaves no process behind); a worker that dies leaves this process to parse
the rest itself. On a single core, or where ``fork`` does not exist, there
is no worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import sys
from collections import deque
from typing import TYPE_CHECKING, Any

from ticketcli.ingest.pipeline import ReadMail, read_mail

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from multiprocessing.connection import Connection

    from ticketcli.mail.raw import RawMail

    Read = ReadMail | str

log = logging.getLogger(__name__)

START_AFTER = 16  # mails a run parses itself before it starts a worker
DEPTH = 8  # mails in flight: enough to keep the worker busy, little memory
POLL = 0.5  # seconds between looks at whether the other process is alive


class WorkerGoneError(Exception):
    """The parsing process died: this one parses from here on."""


def can_fork() -> bool:
    """Whether a worker would run beside this process, not in its place."""
    forks = "fork" in multiprocessing.get_all_start_methods()
    return forks and (os.cpu_count() or 1) > 1


class ParseAhead:
    """For one run: hands each source's mails on with what ``read_mail``
    made of them, or None where the caller is to parse the mail itself."""

    def __init__(
        self,
        max_size: int,
        *,
        start_after: int = START_AFTER,
        depth: int = DEPTH,
        enabled: bool | None = None,
    ) -> None:
        self.max_size = max_size
        self.start_after = start_after
        self.depth = max(1, depth)
        self._enabled = can_fork() if enabled is None else enabled
        self._worker: _Worker | None = None
        self._handed = 0
        self.parsed_by_worker = 0

    def over(self, raws: Iterable[RawMail]) -> Iterator[tuple[RawMail, Read | None]]:
        """``raws`` in their order, each with its parse if the worker made
        it. A source that fails first hands on what it read before."""
        window: deque[tuple[int, RawMail]] = deque()
        mails = iter(raws)
        try:
            while True:
                try:
                    raw = next(mails)
                except StopIteration:
                    break
                except Exception:
                    yield from self._drain(window)
                    raise
                worker = self._worker_for_next()
                if worker is None:
                    yield from self._drain(window)
                    yield raw, None
                    continue
                try:
                    window.append((worker.send(raw.data), raw))
                except WorkerGoneError:
                    self._lost()
                    yield from self._drain(window)
                    yield raw, None
                    continue
                if len(window) >= self.depth:
                    yield self._take(window)
            yield from self._drain(window)
        finally:
            if window:  # the caller stopped early: the worker's answers are stale
                self.close(at_once=True)

    def close(self, *, at_once: bool = False) -> None:
        """Stop the worker: when it has finished, or ``at_once``."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop(at_once=at_once)
            log.debug("%d mail(s) parsed in a second process", self.parsed_by_worker)

    def _worker_for_next(self) -> _Worker | None:
        self._handed += 1
        if self._worker is None and self._enabled and self._handed > self.start_after:
            try:
                self._worker = _Worker(self.max_size)
            except OSError as exc:  # no processes left, no memory to fork
                log.info("parsing in this process: cannot start a worker: %s", exc)
                self._enabled = False
        return self._worker

    def _drain(
        self, window: deque[tuple[int, RawMail]]
    ) -> Iterator[tuple[RawMail, Read | None]]:
        while window:
            yield self._take(window)

    def _take(self, window: deque[tuple[int, RawMail]]) -> tuple[RawMail, Read | None]:
        number, raw = window.popleft()
        if self._worker is None:
            return raw, None
        try:
            read = self._worker.receive(number)
        except WorkerGoneError:
            self._lost()
            return raw, None
        self.parsed_by_worker += 1
        return raw, read

    def _lost(self) -> None:
        log.info("the parsing process died: parsing in this process")
        self.close(at_once=True)
        self._enabled = False


class _Worker:
    """One forked process, a pipe to it and a queue back.

    This process writes each mail to the pipe itself: a thread of its own
    would wait for the lock every busy Python thread holds, and the worker
    would wait with it. The worker answers through a queue, whose thread
    writes while the worker reads on, so neither side can block the other
    however big a mail is. When this process closes the pipe, or dies, the
    worker reads its end and leaves.
    """

    def __init__(self, max_size: int) -> None:
        context = multiprocessing.get_context("fork")
        reader, self.jobs = context.Pipe(duplex=False)
        self.results: Any = context.Queue()
        self.process = context.Process(
            target=_serve,
            args=(reader, self.jobs, self.results, max_size),
            name="ticketcli-parse",
            daemon=True,
        )
        self.process.start()
        reader.close()  # the worker's end: a dead worker then breaks the pipe
        self._sent = 0

    def send(self, data: bytes) -> int:
        try:
            self.jobs.send_bytes(data)
        except OSError:
            raise WorkerGoneError from None
        self._sent += 1
        return self._sent

    def receive(self, number: int) -> Read:
        while True:
            try:
                got, read = self.results.get(timeout=POLL)
            except queue.Empty:
                if not self.process.is_alive():
                    raise WorkerGoneError from None
                continue
            except (EOFError, OSError):
                raise WorkerGoneError from None
            if got == number:
                return read

    def stop(self, *, at_once: bool) -> None:
        self.jobs.close()
        if not at_once:
            self.process.join(timeout=2 * POLL)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.results.cancel_join_thread()
        self.results.close()


def _serve(jobs: Connection, ours: Connection, results: Any, max_size: int) -> None:
    """The worker: parse each mail the pipe brings until it is closed.
    Ctrl-C is the parent's to handle; it closes the pipe when it stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The queue's thread sends each answer as soon as it is made, not when
    # the parsing thread's time slice (5 ms) is up.
    sys.setswitchinterval(0.0005)
    ours.close()  # else the pipe would stay open after the parent is gone
    number = 0
    while True:
        try:
            data = jobs.recv_bytes()
        except (EOFError, OSError):
            break
        number += 1
        results.put((number, read_mail(data, max_size)))
    # Answers nobody reads (the parent is gone) must not keep us here.
    results.cancel_join_thread()
