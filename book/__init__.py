"""The Python package behind the course pages."""
