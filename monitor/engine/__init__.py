"""Clock and escalation engine: clocks, escalation state, tick, auditor, and the incident lifecycle hooks."""
