"""The model registry's domain: pure rules on the registry state, and model folders on disk.

:mod:`.rules` holds every change (names, versions, stages, aliases, the audit trail) as pure
functions on a plain state dict, applied by the client through the store's one locked
``update_registry``; :mod:`.checks` the argument rules they share (stage names, version
numbers, aliases) and :mod:`.queries` the reads; :mod:`.models` writes, verifies and loads
model folders and parses model URIs.
The client's registry verbs live in :mod:`nbtrack.client.registry`.
"""
