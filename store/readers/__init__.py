"""Format readers: bytes from a git blob in, plain Python data and warnings out."""
