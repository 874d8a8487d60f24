"""What a build keeps for the next one; wraps the stages, never imported by domain code."""
