"""Fixtures and helpers that more than one test folder uses, each written once.

A folder's ``conftest.py`` imports the fixtures it needs from here (pytest registers a fixture
function wherever a conftest or test module binds it), and test modules import the helpers.
"""
