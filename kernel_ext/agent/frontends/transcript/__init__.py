"""Session events -> one transcript state (`reducer`), with its Markdown rendering
(`markdown`); pure, shared by the cell widget, the side panel and saved notebooks."""
