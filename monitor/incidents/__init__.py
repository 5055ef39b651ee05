"""Incidents: grading, routing, opening/upgrading, the frozen policy and the timeline."""
