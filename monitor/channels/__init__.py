"""Responder channels, one module per vendor, behind `monitor.channels.base.Channel`."""
