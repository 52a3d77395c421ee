"""The case engine: processes as data, SLA clocks, escalation, assignment, work queues."""
