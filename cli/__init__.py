"""The `qbank` command line: thin click commands over qbank, importers and exporters."""
