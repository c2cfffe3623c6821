"""Reading git: refs, the commit walk, blobs, the format readers, and the rules that turn
them into models, versions, labels and stages (GTO's among them)."""
