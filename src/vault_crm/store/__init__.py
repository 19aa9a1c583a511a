"""The index's store: the only sqlite3 user. `schema` (the tables, the file), `index` (the
`Index` handle and `apply`), `queries` (named reads returning records)."""

from vault_crm.store.index import Index
from vault_crm.store.schema import SCHEMA_VERSION, cache_root, vault_cache_dir

__all__ = ["SCHEMA_VERSION", "Index", "cache_root", "vault_cache_dir"]
