"""Vector search over a tenant's passages and canned responses, rebuilt from the database at will."""
