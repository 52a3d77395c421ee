"""Models of the case engine, one module per concern."""

from .assignment import Absence, AssignmentMethod, AssignmentRule, StaffCapacity
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
from .escalation import (
    CaseEscalation,
    EscalationAction,
    EscalationLadder,
    EscalationLevel,
    EscalationThreshold,
    EscalationWatch,
    Notification,
    NotifyWhom,
)
from .process import (
    ChecklistItem,
    Process,
    ProcessState,
    ProcessVersion,
    StateCategory,
    Transition,
    VersionStatus,
)
from .saved_view import SavedView

__all__ = [
    "Absence",
    "AssignmentMethod",
    "AssignmentRule",
    "Attachment",
    "BusinessCalendar",
    "Case",
    "CaseChannel",
    "CaseChecklistMark",
    "CaseClock",
    "CaseEscalation",
    "CaseEvent",
    "ChecklistItem",
    "ClockMode",
    "ClockStop",
    "EscalationAction",
    "EscalationLadder",
    "EscalationLevel",
    "EscalationThreshold",
    "EscalationWatch",
    "EventType",
    "Notification",
    "NotifyWhom",
    "Priority",
    "Process",
    "ProcessState",
    "ProcessVersion",
    "SavedView",
    "SlaPolicy",
    "SlaTarget",
    "StaffCapacity",
    "StateCategory",
    "Transition",
    "VersionStatus",
    "Visibility",
]
