"""cyberdialogue: raw documents about cyber-policy sessions -> an open dataset (see README.md)."""
