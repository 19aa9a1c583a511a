"""Exporters: people in, bytes out (pure; the command decides where the bytes go)."""
