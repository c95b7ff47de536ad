"""Pure rules: no Flask, no database; plain functions and dataclasses."""
