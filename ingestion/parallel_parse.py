"""Parse a large CSV export in worker processes, and get back what they made in file order.

The loader spends as much time in Python per row — the csv module, the converters, pseudonymisation
and binary formatting — as the server spends storing it. On a machine with several cores, this module
cuts the rows of a large CSV file into pieces of a few MB, has worker processes turn each piece into
whatever the caller makes of it (the loader: binary ``COPY`` rows), and hands the results back in file
order, piece after piece, so the caller still writes them into one ``COPY`` of one transaction.

**Where to cut.** A piece ends after a line feed where the count of ``"`` bytes since the header is
even: escaped quotes are doubled, so an odd count means the line feed is inside a quoted value. Quote
parity is what a CSV reader sees in all but malformed files (a lone ``"`` inside an unquoted value is
literal to the csv module, not an opening quote); so the worker that parses a piece also checks that
its last record ended exactly at the cut, and if it did not, the caller gets :class:`Fallback` and
parses the file sequentially instead (the results are then the same; only the time is lost). A piece
starts right after a record boundary, so the csv module reads it in the same state as when it reads
the whole file.

**Row numbers** stay line numbers of the file: the line breaks before each piece (CR LF, CR or LF, as
Python's text files count them) are counted while the cut is looked for, and each worker checks that it
read as many lines as were counted.

**Scheduling.** Whichever worker is free takes the next piece (a worker that gets less CPU does fewer
pieces instead of holding the others up); at most ``AHEAD`` pieces per worker are out at a time.

**Memory** stays flat whatever the file size: a worker reads its piece through a text stream, sends its
output in blocks of ``BLOCK_BYTES`` over a pipe, and holds at most ``QUEUE_BLOCKS`` blocks that the main
process has not taken yet (the main process takes them in file order, so a worker ahead of the others
waits).

**Processes** are forked, so the work function and everything it uses (the row converter, the HMAC key)
reach the workers without pickling. A worker that dies or raises makes :meth:`Workers.results` raise
:class:`WorkerError`; a worker that finds the data not splittable (a record spanning a cut, a line count
that does not match, bytes that do not decode, broken CSV) makes it raise :class:`Fallback`.

Settings (read when a file is loaded): ``APPEALS_PARALLEL_PARSE_MIN_BYTES`` — CSV files at least this
big are parsed in parallel (default 32 MiB); ``APPEALS_PARSE_WORKERS`` — how many worker processes
(default: the usable CPUs, at most 4; fewer than 2 means the sequential path).
"""

from __future__ import annotations

import contextlib
import csv
import io
import multiprocessing
import os
import pickle
import queue
import re
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from ingestion.parse.reader import CsvBody, ParsedRow

MIN_BYTES = 32 * 1024 * 1024
"""CSV files at least this big are parsed in parallel (``APPEALS_PARALLEL_PARSE_MIN_BYTES`` overrides)."""
MAX_WORKERS = 4
"""Beyond a few workers the server's single COPY backend is the limit, and each worker costs memory."""
PIECE_BYTES = 4 * 1024 * 1024
"""Nominal size of a piece; it ends at the first safe line feed after this many bytes."""
BLOCK_BYTES = 1024 * 1024
"""Workers send their output in blocks of about this size."""
QUEUE_BLOCKS = 16
"""Blocks a worker may hold that the main process has not taken yet (then it waits)."""
AHEAD = 3
"""Pieces out per worker: the main process reads one, the workers work on the next ones."""
_SCAN_BYTES = 64 * 1024

_HEADER, _DATA, _DONE, _FALLBACK, _ERROR = b"H", b"D", b"S", b"R", b"F"


class Fallback(Exception):
    """The file cannot be cut at safe places (or a piece cannot be read alone): parse it sequentially."""


class WorkerError(RuntimeError):
    """A worker process failed or died."""


def min_bytes() -> int:
    value = os.environ.get("APPEALS_PARALLEL_PARSE_MIN_BYTES")
    return int(value) if value else MIN_BYTES


def worker_count() -> int:
    value = os.environ.get("APPEALS_PARSE_WORKERS")
    if value:
        return int(value)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return min(cpus, MAX_WORKERS)


def plan(body: CsvBody | None) -> int:
    """How many workers to parse a CSV body with (the caller checked the file size): 0 for the sequential
    path."""
    if body is None or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if multiprocessing.current_process().daemon:  # a daemonic process may not have children
        return 0
    workers = worker_count()
    return workers if workers >= 2 else 0


# --- cutting the file into pieces ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Piece:
    index: int
    start: int  # byte offsets [start, end) in the file
    end: int
    first_line: int  # line number of the line at ``start``
    lines: int  # lines in [start, end), as a text file with newline="" counts them
    last: bool


_LONE_CR = re.compile(rb"\r(?!\n)")


def _line_breaks(data: bytes) -> int:
    """Line breaks in ``data`` as Python's text files count them: CR LF, CR and LF each count once."""
    lf = data.count(b"\n")
    if data.find(b"\r") == -1 or not _LONE_CR.search(data):  # LF or CR LF line ends: the usual cases
        return lf
    return lf + data.count(b"\r") - data.count(b"\r\n")


def pieces(body: CsvBody, size: int | None = None) -> Iterator[Piece]:
    """Cut the bytes below the header into pieces of about ``size`` bytes at safe line feeds."""
    size = size or PIECE_BYTES
    with open(body.path, "rb") as file:
        total = os.fstat(file.fileno()).st_size
        index, start, line = 0, body.start, body.first_line
        while start < total:
            file.seek(start)
            data = file.read(size)
            end = start + len(data)
            if end >= total:  # the last line may have no line break; a text file still reads it as a line
                unterminated = bool(data) and not data.endswith((b"\n", b"\r"))
                yield Piece(index, start, total, line, _line_breaks(data) + unterminated, True)
                return
            quotes = data.count(b'"')
            lines = _line_breaks(data)
            ends_with_cr = data.endswith(b"\r")
            tail = data[-1:]
            del data
            while True:  # on to the first line feed with an even count of quotes before it
                more = file.read(_SCAN_BYTES)
                if not more:
                    cut = None
                    break
                at, cut = 0, None
                while (newline := more.find(b"\n", at)) != -1:
                    quotes += more.count(b'"', at, newline)
                    at = newline + 1
                    if not quotes & 1:
                        cut = at
                        break
                taken = more if cut is None else more[:cut]
                if cut is None:
                    quotes += more.count(b'"', at)
                lines += _line_breaks(taken) - (ends_with_cr and taken.startswith(b"\n"))
                ends_with_cr = taken.endswith(b"\r")
                tail = taken[-1:] or tail
                end += len(taken)
                if cut is not None:
                    break
            last = end >= total
            if last and tail not in (b"\n", b"\r"):
                lines += 1  # the unterminated last line
            yield Piece(index, start, end, line, lines, last)
            index, start, line = index + 1, end, line + lines


# --- a worker's side --------------------------------------------------------------------------------------


class _Range(io.RawIOBase):
    """Bytes [start, end) of a file, as a raw stream."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        super().__init__()
        self.fd, self.pos, self.end = fd, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.end - self.pos)
        if want <= 0:
            return 0
        data = os.pread(self.fd, want, self.pos)
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def parse_piece(body: CsvBody, piece: Piece) -> Iterator[ParsedRow]:
    """The rows of one piece, as ``Export.rows()`` gives them. Raises :class:`Fallback` when the piece does
    not end at a record boundary or its rows cannot be read alone (the sequential path then decides)."""
    fd = os.open(body.path, os.O_RDONLY)
    try:
        raw = io.BufferedReader(_Range(fd, piece.start, piece.end), 1 << 20)
        rows, end = body.parse_run(
            io.TextIOWrapper(raw, encoding=body.encoding, newline=""), piece.first_line
        )
        try:
            yield from rows
        except (UnicodeDecodeError, csv.Error) as error:
            raise Fallback(f"line {piece.first_line}+: {type(error).__name__}: {error}") from error
    finally:
        os.close(fd)
    if end.open_record and not piece.last:
        raise Fallback(f"the record at line {piece.first_line + end.open_record - 1} runs over a cut")
    if end.line_num != piece.lines:
        raise Fallback(f"lines {piece.first_line}+: read {end.line_num} lines, counted {piece.lines}")


# --- the pool --------------------------------------------------------------------------------------------


Work = Callable[[Piece, Callable[[bytearray], None]], Any]
"""``work(piece, emit)``: runs in a worker; emits output blocks (bytearrays starting with b"D", see
:func:`new_block`), returns a picklable summary of the piece."""


def new_block() -> bytearray:
    """An empty output block; append to it, and pass it to ``emit`` when it is full."""
    return bytearray(_DATA)


def _serve(work: Work, tasks: Connection, take: Any, out: Connection, others: list[Connection]) -> None:
    """A worker process: take the next piece until told to stop; send back, for each, a header naming it,
    its blocks and its summary."""
    for other in others:
        other.close()
    outbox: queue.Queue[bytes | bytearray | None] = queue.Queue(maxsize=QUEUE_BLOCKS)

    def send() -> None:
        while (item := outbox.get()) is not None:
            out.send_bytes(item)

    sender = threading.Thread(target=send, name="parallel-parse-sender", daemon=True)
    sender.start()

    def emit(block: bytes | bytearray) -> None:
        while True:
            try:
                outbox.put(block, timeout=1.0)
                return
            except queue.Full:
                if not sender.is_alive():  # the main process is gone
                    os._exit(1)

    try:
        while True:
            with take:  # one task pipe for all workers: the first idle worker takes the next piece
                piece = tasks.recv()
            if piece is None:
                break
            emit(_HEADER + str(piece.index).encode())
            try:
                summary = work(piece, emit)
            except Fallback as problem:
                emit(_FALLBACK + pickle.dumps(str(problem)))
                break
            except BaseException as error:
                emit(_ERROR + pickle.dumps(f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
                break
            emit(_DONE + pickle.dumps(summary))
    except EOFError:  # the main process closed the task pipe
        pass
    finally:
        if sender.is_alive():
            outbox.put(None)
            sender.join()


class Workers:
    """Worker processes for one file. Use as a context manager: leaving it stops them.

    Pieces go out through one task pipe, so whichever worker is free takes the next one (a worker that
    gets less CPU than the others does fewer pieces, instead of holding them up); each worker sends its
    output through a pipe of its own, each piece announced by a header, and :meth:`results` reads the
    pieces back in order.
    """

    def __init__(self, work: Work, count: int) -> None:
        context = multiprocessing.get_context("fork")
        task_read, task_write = context.Pipe(duplex=False)
        take = context.Lock()
        outputs = [context.Pipe(duplex=False) for _ in range(count)]
        everything = [task_read, task_write, *(end for pipe in outputs for end in pipe)]
        self.tasks: Connection | None = task_write
        self.outputs: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        try:
            for out_read, out_write in outputs:
                others = [c for c in everything if c is not task_read and c is not out_write]
                process = context.Process(
                    target=_serve,
                    args=(work, task_read, take, out_write, others),
                    name="parallel-parse",
                    daemon=True,
                )
                process.start()
                self.processes.append(process)
                out_write.close()
                self.outputs.append(out_read)
        except (OSError, AssertionError) as error:  # no processes to be had (limits, memory, a daemon)
            self.stop(force=True)
            raise Fallback(f"cannot start parse workers: {type(error).__name__}: {error}") from error
        except BaseException:
            self.stop(force=True)
            raise
        finally:
            task_read.close()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.stop(force=exc_type is not None)

    def stop(self, force: bool = False) -> None:
        if self.tasks is not None:
            if not force:
                with contextlib.suppress(OSError):
                    for _ in self.processes:
                        self.tasks.send(None)
            self.tasks.close()
            self.tasks = None
        for process in self.processes:
            if force:
                process.terminate()
            process.join(timeout=5 if force else 60)
            if process.is_alive():  # pragma: no cover - stuck, or did not stop on SIGTERM
                process.kill()
                process.join()
        for output in self.outputs:
            output.close()
        self.outputs, self.processes = [], []

    def results(self, pieces: Iterator[Piece]) -> Iterator[memoryview | tuple[Piece, Any]]:
        """Hand the pieces out and yield, in piece order, each piece's output blocks (as memoryviews) and
        then ``(piece, summary)``. At most ``AHEAD`` pieces per worker are out at a time."""
        assert self.tasks is not None
        tasks, source = self.tasks, iter(pieces)
        out: dict[int, Piece] = {}  # handed out, not read back yet
        announced: dict[int, int] = {}  # piece index -> the worker that took it
        idle = set(range(len(self.processes)))  # workers whose next message is a header
        window = len(self.processes) * AHEAD
        consumed = 0

        def hand_out() -> None:
            while len(out) < window and (piece := next(source, None)) is not None:
                out[piece.index] = piece
                with contextlib.suppress(OSError):  # all workers gone: reading their output says why
                    tasks.send(piece)

        hand_out()
        while out:
            while consumed not in announced:  # who took the next piece?
                for output in wait([self.outputs[w] for w in idle]):
                    worker = self.outputs.index(output)  # type: ignore[arg-type]
                    message = self._receive(worker)
                    if message[:1] != _HEADER:
                        raise WorkerError(f"a parse worker failed: unexpected message {message[:20]!r}")
                    announced[int(message[1:])] = worker
                    idle.discard(worker)
            worker = announced.pop(consumed)
            piece = out.pop(consumed)
            while True:
                message = self._receive(worker)
                tag = message[:1]
                if tag == _DATA:
                    yield memoryview(message)[1:]
                elif tag == _DONE:
                    idle.add(worker)
                    consumed += 1
                    hand_out()
                    yield piece, pickle.loads(message[1:])
                    break
                elif tag == _FALLBACK:
                    raise Fallback(pickle.loads(message[1:]))
                else:
                    raise WorkerError(f"a parse worker failed: {pickle.loads(message[1:])}")

    def _receive(self, worker: int) -> bytes:
        try:
            return self.outputs[worker].recv_bytes()
        except (EOFError, OSError) as error:  # every other end of the pipe is closed: the worker is gone
            raise self._died(worker) from error

    def _died(self, worker: int) -> WorkerError:
        process = self.processes[worker]
        process.join(timeout=5)
        return WorkerError(f"parse worker {process.pid} died (exit code {process.exitcode})")
