"""What the clients do, written once as plans that a sync and an async client both run.

A plan is a generator that yields steps and gets each step's outcome back (or its exception,
thrown in at the `yield`); what it returns is the plan's value. Three kinds of step:

    Call     send this request once; the outcome is the `httpx.Response` (or httpx's
             `TransportError`, thrown in)
    Sleep    wait this long
    Deliver  hand this lead to the user's `send` (its exception, if any, is thrown in)

`Client` performs steps with `httpx.Client` and `time.sleep`, `AsyncClient` with
`httpx.AsyncClient` and `asyncio.sleep`; everything else (retries, the sender loop) is in the
plans, so the two clients cannot drift apart. This is the "sans-I/O" shape of h11 and httpcore.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from leadblock_client.calls import Call
from leadblock_client.models import CampaignLead

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Deliver:
    lead: CampaignLead


Step = Call[Any] | Sleep | Deliver
Plan = Generator[Step, Any, R]


class Stepper(Generic[R]):
    """Walks a plan one step at a time for a client's loop:

    stepper = Stepper(plan)
    while (step := stepper.next_step()) is not None:
        try:
            stepper.outcome = perform(step)
        except Exception as error:
            stepper.error = error
    return stepper.value
    """

    def __init__(self, plan: Plan[R]) -> None:
        self._plan = plan
        self.outcome: Any = None
        self.error: Exception | None = None
        self._value: tuple[R] | None = None

    def next_step(self) -> Step | None:
        """The next step, given the last one's outcome or error; None once the plan is done
        (its exception, if it raises one, propagates from here)."""
        error, self.error = self.error, None
        try:
            if error is not None:
                return self._plan.throw(error)
            return self._plan.send(self.outcome)
        except StopIteration as done:
            self._value = (done.value,)
            return None

    @property
    def value(self) -> R:
        assert self._value is not None, "the plan is not done"
        return self._value[0]
