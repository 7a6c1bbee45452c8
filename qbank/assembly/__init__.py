"""Paper assembly (组卷): blueprint, constraint solver, independent validator."""
