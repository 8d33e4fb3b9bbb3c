"""The Reciprocity relay: a thin websockets shell around rooms."""
