"""Workflow definitions as data: TOML files beside this module, parsed and validated on load."""

from workflows.definition import Definition, FieldSpec, StateSpec, TransitionSpec
from workflows.loader import DEFINITIONS_DIR, load_all, load_file, parse_definition

__all__ = [
    "DEFINITIONS_DIR",
    "Definition",
    "FieldSpec",
    "StateSpec",
    "TransitionSpec",
    "load_all",
    "load_file",
    "parse_definition",
]
