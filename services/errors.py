"""The services' refusals: what a use case declines to do, and why, for the handlers to
put in words. Plain exceptions carrying plain values."""

from __future__ import annotations

# the walk: a project and its evidence

class Locked(Exception):
    """The project is read-only: submitted for review, or past its round's deadline."""

    def __init__(self, project_id: int | None, reason: str = "submitted") -> None:
        super().__init__(project_id, reason)
        self.reason = reason


class Conflict(Exception):
    """Someone else changed this since the user looked at it."""


class NotFound(Exception):
    """The project, file or entry does not exist (any more)."""


class NotMember(Exception):
    """The user does not belong to the project's organisation."""


# the audit log
class NoHistory(Exception):
    """The user may not see this project's history (or it does not exist)."""


# decisions and the ledger
class AlreadyRecorded(Exception):
    """The decision is on record already (a second press of the same button)."""


class NotPayer(Exception):
    """Honours, outcomes, payments and reversals are recorded by the city's administrators
    and those they made payers, not by every reviewer."""


class NeedsConfirmation(Exception):
    """A payment beyond what is due from its payer (or on a project with no honour): an
    administrator must confirm it."""

    def __init__(self, amount: int, due: int, entitled: int, payer: str) -> None:
        super().__init__(amount, due)
        self.amount, self.due, self.entitled, self.payer = amount, due, entitled, payer


class NotReversible(Exception):
    """No such row on the project's ledger, or it is a reversal or reversed already."""


# people and invites
class MemberElsewhere(Exception):
    """The user belongs to another organisation: joining this one needs confirming (an
    administrator may move), or is refused (anyone else)."""

    def __init__(self, current: str, target: str, may_move: bool) -> None:
        super().__init__(current, target)
        self.current, self.target, self.may_move = current, target, may_move


class NotAllowed(Exception):
    """Only administrators and the organisation's lead manage its members."""


class UnreadableFile(Exception):
    """Not a .csv or .xlsx this can read."""


# the reviewers' desk
class Refused(Exception):
    """The reviewer may not act on this project: `key` (a catalog key) says why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class WrongState(Exception):
    """The project is not in a state this action applies to (e.g. returned, verified)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status
