"""WSGI entry point: ``gunicorn wsgi:app``."""
from supervision import create_app, freeze_startup_heap

app = create_app()
freeze_startup_heap()  # the start-up heap out of the collector's reach (see its docstring)
