"""API resources, one module per feature; each defines a blueprint ``blp``."""
