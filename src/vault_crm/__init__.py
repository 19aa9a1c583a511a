"""vault-crm: a local-first personal networking CRM inside a folder of markdown notes."""

__version__ = "0.1.0"
