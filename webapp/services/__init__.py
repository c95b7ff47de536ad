"""Use cases, one transaction each; called by views, CLI commands and jobs alike."""
