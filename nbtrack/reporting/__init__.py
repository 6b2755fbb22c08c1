"""Results for people outside the notebook: ``nbtrack report``'s self-contained HTML file.

:mod:`.html` writes the report, :mod:`.svg` its static line charts (readable without a script),
:mod:`.lttb` thins a series for drawing without losing its shape (also used by the dashboard's
REST API). Nothing here is imported by ``import nbtrack``.
"""
