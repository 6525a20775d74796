"""optout: gather every opt-out, publish a provable suppression list, check sends against it."""
