"""De-duplication, planning (session and person identity), assembly, quarantine, validation rules."""
