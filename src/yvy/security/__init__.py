"""Security of the platform: structured security events for a CSIRT (:mod:`.events`).

Must not import: click, fastapi, yvy.storage, yvy.api, yvy.cli.
"""
