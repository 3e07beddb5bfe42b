"""Entry point for gunicorn: ``gunicorn wsgi:app``. The scheduler runs as its own process."""
from caseflow import create_app

app = create_app()
