"""Service layer: handlers that take a unit of work; routes, CLI commands and jobs call them."""
