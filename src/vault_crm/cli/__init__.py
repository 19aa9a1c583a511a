"""The command line, the only click user: options, printing, exit codes. One module per
topic; `commands` is the registry; command modules never import each other."""

from vault_crm.cli.main import cli, main

__all__ = ["cli", "main"]
