"""Workflow engine: the YAML files under ``workflows/`` turned into state machines."""
