"""The `kernel-agent` command line."""
