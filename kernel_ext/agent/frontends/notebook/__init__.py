"""The notebook front end: the IPython extension, the `%%agent` / `%agent` magics, the
live cell widget and the JupyterLab side panel's kernel end."""
