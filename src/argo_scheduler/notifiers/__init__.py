"""Who hears about a finished run."""
