"""Importers: bytes from another tool in, a plan of people out (pure; nothing is written).

`vcard` and `linkedin` read their formats into `Incoming` records; `plan` matches them
against the vault and against each other; `writer` applies a plan through the same
note-writing helpers every command uses.
"""
