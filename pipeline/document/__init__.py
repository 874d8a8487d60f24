"""The document model: every source read into one structure (see pipeline.document.model)."""
from pipeline.document.model import Block, Document, Line
from pipeline.document.read import read_document

__all__ = ["Block", "Document", "Line", "read_document"]
