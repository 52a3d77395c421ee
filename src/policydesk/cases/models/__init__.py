"""Models of the case engine, one module per concern."""

from .calendar import BusinessCalendar
from .case import (
    Attachment,
    Case,
    CaseChannel,
    CaseChecklistMark,
    CaseEvent,
    EventType,
    Priority,
    Visibility,
)
from .clock import CaseClock, ClockMode, ClockStop, SlaPolicy, SlaTarget
from .process import (
    ChecklistItem,
    Process,
    ProcessState,
    ProcessVersion,
    StateCategory,
    Transition,
    VersionStatus,
)

__all__ = [
    "Attachment",
    "BusinessCalendar",
    "Case",
    "CaseChannel",
    "CaseChecklistMark",
    "CaseClock",
    "CaseEvent",
    "ChecklistItem",
    "ClockMode",
    "ClockStop",
    "EventType",
    "Priority",
    "Process",
    "ProcessState",
    "ProcessVersion",
    "SlaPolicy",
    "SlaTarget",
    "StateCategory",
    "Transition",
    "VersionStatus",
    "Visibility",
]
