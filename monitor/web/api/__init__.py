"""The JSON API under /api/v1: incidents, actions, reference data and the OpenAPI document."""
