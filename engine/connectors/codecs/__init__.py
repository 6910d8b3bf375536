"""Codecs that turn wire formats (XML documents, ...) into plain records and back."""
