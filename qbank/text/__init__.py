"""Text handling: normalisation of what people type into item files (and, later, tokens)."""
