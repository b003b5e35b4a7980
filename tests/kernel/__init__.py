"""Kernel-level tests: a real ipykernel driven through jupyter_client."""
