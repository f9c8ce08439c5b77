"""Repositories, one per kind of thing stored; each method is scoped by the tenant it names."""
