"""Hardened autograding for nbgrader, switched on by the course's ``nbgrader_config.py``.

- ``execute.GuardedExecute``: runs each submission in a sandboxed, memory-limited kernel and
  trusts a test only with the in-kernel guard's authenticated verdict.
- ``guard``: the in-kernel side (audit-hook sandbox and integrity checks).
- ``feedback.HideHiddenTests``: feedback that shows no hidden test.
- ``offline.OfflineHTMLExporter``: feedback pages that render offline (math as MathML).
"""
