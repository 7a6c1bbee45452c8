"""The pages, one module per kind of user (home and sign-in, reviewer, regulator, staff)."""
