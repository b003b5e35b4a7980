"""Headless runs of the shipped notebooks."""
