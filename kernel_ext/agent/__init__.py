"""kernel-agent: a coding agent that lives inside the Jupyter/IPython kernel.

Importing `agent` is cheap: nothing heavy (httpx, pydantic models, IPython) is imported
until it is used.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
