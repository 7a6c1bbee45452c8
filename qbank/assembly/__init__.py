"""Paper assembly (组卷): from a blueprint and the filed items to stored, validated papers.

`service` runs a batch's assembly against the database; `solver.solve` is the solver's entry,
built from `inputs` (normalised run inputs), `model` (the CP-SAT model, written and solved
through `cpsat`: ortools' own core, without `cp_model`'s pandas), `search` (strategy,
settings, stats) and `diagnosis` (why no papers: `conflicts.Conflict`, rendered to text only
by `conflicts.conflict_text`); `validate` re-checks papers independently; `layout` is the
typed form of a paper's stored layout; `candidates` what the solver sees of a filed item.
"""
