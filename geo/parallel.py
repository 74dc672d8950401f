"""Run independent pieces of work in this process or on a Dask cluster, with the same numbers.

An :class:`Executor` has ``map(func, items, **shared) -> list``: the results of
``func(item, **shared)`` in the order of ``items``; ``imap`` (the same results one by one, with
a bounded number of tasks in flight, so the caller writes or adds up each result while the
workers compute the next); ``put``/``drop`` (data placed on the workers once, for tasks
of several rounds to receive by handle); and ``keep`` (tasks whose results stay on the workers
as handles: state carried from one round to the next).  :class:`SerialExecutor` runs them in a
loop in this process (no Dask import); :class:`DaskExecutor` sends them to the workers of a
``dask.distributed`` cluster — a local one (``LocalCluster(n_workers=N,
threads_per_worker=1, processes=True)``) or an existing one reached by its scheduler address —
with the ``shared`` arguments sent to the cluster once, not once per item.  An error raised
by a task (a :class:`~borderscape.geo.errors.BorderscapeError` included) is raised again,
with its type and message, by ``map``.

How a function gets an executor
-------------------------------
Each function that can spread its work takes a keyword argument ``executor=None``; None means
:func:`current`, the executor the face installed for the duration of a run with
:func:`using` (a :class:`contextvars.ContextVar`, so nothing global outlives the ``with``
block), and the serial executor when none is installed.  Inside a task on a worker no
executor is installed, so nested work runs serially there.

Kernels release the GIL
-----------------------
The long numba kernels (cost, viewshed, terrain, permutations) are compiled with
``nogil=True``: a Dask worker runs a task in a thread beside the one that receives data and
answers the scheduler, and a kernel holding the GIL for seconds stalled those transfers (the
next item reached a worker only after its task ended).

The same numbers whatever the number of workers
-----------------------------------------------
Work is cut into units that do not depend on the executor: Monte Carlo draws into chunks of a
fixed size (:func:`chunk_sizes`), each drawing from its own generator spawned in a fixed order
from the caller's generator (:func:`spawn_chunks`, ``numpy.random.Generator.spawn``: a
``SeedSequence`` child per chunk), and the results are combined in the order of the units.
The serial executor runs exactly the same units, so a run without Dask, with one worker and
with many gives bitwise identical results.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from borderscape.geo.errors import InputError

#: Draws per Monte Carlo chunk: a fixed unit of work and of seeding (never the worker count).
SIM_CHUNK = 100

_current: contextvars.ContextVar[Executor | None] = contextvars.ContextVar("borderscape_executor", default=None)


class DaskMissing(InputError):
    """Dask (``dask.distributed``) is needed for more than one worker and is not installed."""


class Executor(Protocol):
    """What runs ``func`` over items: :class:`SerialExecutor` or :class:`DaskExecutor`.

    Attributes
    ----------
    workers
        Number of worker processes that run tasks at the same time (1 for serial).
    """

    workers: int

    def map(self, func: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """``[func(item, **shared) for item in items]``, in the order of ``items``.

        Parameters
        ----------
        func
            A function of module level (picklable), or a closure cloudpickle can send.
        items
            One per task.
        **shared
            Keyword arguments passed to every call (sent to a cluster once).

        Returns
        -------
        list
            The results, in the order of ``items``.
        """
        ...

    def imap(self, func: Callable[..., Any], items: Iterable[Any], *, ahead: int, **shared: Any) -> Iterator[Any]:
        """The results of ``func(item, **shared)`` one by one, in the order of ``items``.

        ``items`` is consumed lazily, at most ``ahead`` tasks beyond the result being handed
        out are in flight, so the caller can use (write, add up) each result while the
        workers compute the next ones, and neither the items nor the results are ever all
        in memory.

        Parameters
        ----------
        func, **shared
            As in :meth:`map`.
        items
            One per task; may be a generator.
        ahead
            Tasks kept in flight (≥ 1).

        Returns
        -------
        Iterator
            The results, in the order of ``items``.
        """
        ...

    def keep(self, func: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """Run ``func(item, **shared)`` for each item and leave each result where it was computed.

        For state that lives across rounds of tasks (a tile's costs): returns one handle per
        item, used like the handles of :meth:`put` (inside later items; released with
        :meth:`drop`).  A task's error is raised, with its type, by ``keep`` itself (serial) or
        when a task that uses its handle is collected (Dask).
        """
        ...

    def put(self, values: Sequence[Any]) -> list[Any]:
        """Place data where the tasks run, once, for many later tasks.

        Returns one handle per value; a handle placed inside an item of :meth:`imap` reaches
        the task as the value itself.  Release the handles with :meth:`drop`.
        """
        ...

    def drop(self, handles: Sequence[Any]) -> None:
        """Forget the data placed by :meth:`put`."""
        ...


class SerialExecutor:
    """Runs every task in a loop in this process."""

    workers = 1

    def map(self, func: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """See :meth:`Executor.map`."""
        return [func(item, **shared) for item in items]

    def imap(self, func: Callable[..., Any], items: Iterable[Any], *, ahead: int, **shared: Any) -> Iterator[Any]:
        """See :meth:`Executor.imap` (one task at a time here)."""
        return (func(item, **shared) for item in items)

    def keep(self, func: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """See :meth:`Executor.keep`: the results themselves."""
        return self.map(func, items, **shared)

    def put(self, values: Sequence[Any]) -> list[Any]:
        """See :meth:`Executor.put`: the values themselves."""
        return list(values)

    def drop(self, handles: Sequence[Any]) -> None:
        """See :meth:`Executor.drop` (nothing to do)."""


class DaskExecutor:
    """Runs tasks on the workers of a ``dask.distributed.Client``.

    Parameters
    ----------
    client
        A connected ``dask.distributed.Client``.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(1, len(client.scheduler_info()["workers"]))

    def map(self, func: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """See :meth:`Executor.map`; ``shared`` values are scattered to the cluster once."""
        items = list(items)
        if not items:
            return []
        sent = self._send(shared)
        # items holding arrays go to the workers as data, not inside the task graph, dealt
        # round-robin so that the tasks (which run where their data is) are spread evenly; each
        # worker's first item goes alone and its task is submitted at once, so that it starts
        # while the other items are being sent
        futures: list[Any] = []
        scattered: list[Any] = []
        if any(_worth_scattering(i) for i in items):
            addresses = sorted(self.client.scheduler_info()["workers"])
            n = len(addresses)
            for lo, hi in ((0, n), (n, len(items))):
                batch = list(range(lo, min(hi, len(items))))
                inputs: list[Any] = [items[i] for i in batch]
                for w, address in enumerate(addresses):
                    idx = list(range(lo + w, min(hi, len(items)), n))
                    if idx:
                        placed = self.client.scatter([items[i] for i in idx], workers=[address], hash=False)
                        for i, f in zip(idx, placed):
                            inputs[i - lo] = f
                        scattered += placed
                if batch:
                    futures += self.client.map(func, inputs, pure=False, **sent)
        else:
            futures = self.client.map(func, items, pure=False, **sent)
        try:
            return self.client.gather(futures)  # re-raises a task's exception with its type
        finally:
            for f in futures + scattered:
                f.release()
            self._release(sent, shared)

    def imap(self, func: Callable[..., Any], items: Iterable[Any], *, ahead: int, **shared: Any) -> Iterator[Any]:
        """See :meth:`Executor.imap`; each item travels with its task, ``shared`` is scattered once."""
        if ahead < 1:
            raise InputError(f"ahead must be ≥ 1, got {ahead}")
        sent = self._send(shared)
        items = iter(items)
        flight: deque[Any] = deque(
            self.client.submit(func, item, pure=False, **sent) for item in itertools.islice(items, ahead)
        )
        try:
            while flight:
                future = flight.popleft()
                for item in itertools.islice(items, 1):
                    flight.append(self.client.submit(func, item, pure=False, **sent))
                result = future.result()  # re-raises a task's exception with its type
                future.release()
                yield result
        finally:
            for future in flight:
                future.release()
            self._release(sent, shared)

    def keep(self, func: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """See :meth:`Executor.keep`: futures of the results, left on the workers that computed
        them (a task whose item holds handles runs where their data is)."""
        sent = self._send(shared)
        try:
            return [self.client.submit(func, item, pure=False, **sent) for item in items]
        finally:
            self._release(sent, shared)  # the submitted tasks hold on to what they need

    def put(self, values: Sequence[Any]) -> list[Any]:
        """See :meth:`Executor.put`: futures, the values dealt round-robin to the workers (a
        task then runs where its data is)."""
        values = list(values)
        handles: list[Any] = [None] * len(values)
        addresses = sorted(self.client.scheduler_info()["workers"])
        for w, address in enumerate(addresses):
            idx = list(range(w, len(values), len(addresses)))
            if idx:
                for i, f in zip(idx, self.client.scatter([values[i] for i in idx], workers=[address], hash=False)):
                    handles[i] = f
        return handles

    def drop(self, handles: Sequence[Any]) -> None:
        """See :meth:`Executor.drop`: releases the futures."""
        for f in handles:
            f.release()

    def _send(self, shared: dict[str, Any]) -> dict[str, Any]:
        """The ``shared`` arguments, those worth it scattered to every worker (as one-element
        lists: scatter would otherwise split a dict or list into many futures)."""
        return {
            k: self.client.scatter([v], broadcast=True, hash=False)[0] if _worth_scattering(v) else v
            for k, v in shared.items()
        }

    @staticmethod
    def _release(sent: dict[str, Any], shared: dict[str, Any]) -> None:
        for k, v in sent.items():
            if v is not shared[k]:
                v.release()


def _worth_scattering(value: Any) -> bool:
    """Arrays over 100 kB, and tuples, lists or objects that may hold them, are sent as data."""
    if isinstance(value, np.ndarray):
        return value.nbytes > 100_000
    if isinstance(value, (tuple, list)):
        return any(_worth_scattering(v) for v in value)
    return not isinstance(value, (int, float, complex, str, bytes, bool, type(None), np.generic))


def current() -> Executor:
    """The executor installed by :func:`using`, or a :class:`SerialExecutor`."""
    ex = _current.get()
    return SerialExecutor() if ex is None else ex


def resolve(executor: Executor | None) -> Executor:
    """``executor`` if given, else :func:`current`."""
    return current() if executor is None else executor


@contextlib.contextmanager
def using(executor: Executor) -> Iterator[Executor]:
    """Install ``executor`` as :func:`current` inside the ``with`` block."""
    token = _current.set(executor)
    try:
        yield executor
    finally:
        _current.reset(token)


@contextlib.contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """Create an executor, install it (:func:`using`) and close it at the end.

    Parameters
    ----------
    workers
        None or 1 (and no ``scheduler``): the serial executor, Dask is not imported.
        N > 1: a local Dask cluster of N single-threaded worker processes.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); ``workers`` must then be
        None.

    Raises
    ------
    InputError
        ``workers`` below 1, or both ``workers`` and ``scheduler``.
    DaskMissing
        Dask is needed and not installed.
    """
    if workers is not None and (int(workers) != workers or workers < 1):
        raise InputError(f"--workers must be a positive integer, got {workers}")
    if scheduler is not None and workers is not None:
        raise InputError("give either --workers (a local cluster) or --scheduler (an existing one), not both")
    if scheduler is None and (workers is None or workers == 1):
        with using(SerialExecutor()) as ex:
            yield ex
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise DaskMissing(
            f"running on {'a Dask cluster' if scheduler else f'{workers} workers'} needs Dask, which is not installed",
            remedy='pip install "borderscape[dask]" (or run without --workers/--scheduler)',
        ) from exc
    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            try:
                client = stack.enter_context(Client(scheduler, timeout="20s"))
            except OSError as exc:
                raise InputError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                    remedy="check the address (tcp://HOST:PORT) and that the scheduler is running",
                ) from exc
        else:
            stack.enter_context(_untrimmed_workers())
            cluster = stack.enter_context(
                LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None)
            )
            client = stack.enter_context(Client(cluster))
            client.wait_for_workers(int(workers))
        with using(DaskExecutor(client)) as ex:
            yield ex


def _untrimmed_workers() -> contextlib.AbstractContextManager:
    """Start local workers without Dask's ``MALLOC_TRIM_THRESHOLD_`` (set by the nanny from
    ``distributed.nanny.pre-spawn-environ``; None there unsets it), so that they allocate memory
    as this process does.

    With that variable set, glibc keeps its mmap threshold fixed at 128 kB: every array of a
    tile or a window is then mapped fresh and page-faulted in, and the tasks ran about 15 %
    slower than the same code in this process (slope by tiles: 4.4 against 3.8 CPU-s).
    Without it, glibc raises the threshold as large blocks are freed (up to 32 MB) and reuses
    them.  The thread limits (OMP_NUM_THREADS=1 …) stay, and a value already in the
    environment (the user's) is inherited as before.
    """
    import dask

    return dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})


def chunk_sizes(total: int, chunk: int = SIM_CHUNK) -> list[int]:
    """``total`` split into consecutive chunks of ``chunk`` (the last one shorter)."""
    return [min(chunk, total - s) for s in range(0, int(total), int(chunk))]


def groups(items: Sequence[Any], n: int) -> list[list[Any]]:
    """``items`` cut into at most ``n`` consecutive groups whose sizes differ by at most one.

    For sending several small units (Monte Carlo chunks) as one task: the units and their
    order stay the same, only the number of round trips to the workers falls.
    """
    items = list(items)
    n = max(1, min(int(n), len(items)))
    q, r = divmod(len(items), n)
    bounds = [i * q + min(i, r) for i in range(n + 1)]
    return [items[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def spawn_chunks(rng: np.random.Generator, total: int, chunk: int = SIM_CHUNK) -> list[tuple[int, np.random.Generator]]:
    """Monte Carlo draws cut into fixed chunks, each with its own generator.

    The children are ``rng.spawn(k)`` (independent ``SeedSequence`` children, in order); the
    parent's stream is not advanced.

    Parameters
    ----------
    rng
        The caller's generator.
    total
        Number of draws.
    chunk
        Draws per chunk.

    Returns
    -------
    list of (size, Generator)
    """
    sizes = chunk_sizes(total, chunk)
    return list(zip(sizes, rng.spawn(len(sizes)))) if sizes else []
