"""Helpdesk history (Zendesk, Freshdesk, Zammad, Chatwoot, CSV/JSONL) read as a stream of tickets
with their threads, or of located problems. See docs/history-import.md."""

from training.history.sources import READERS, SOURCES, detect_source, read_history, reader_for
from training.history.tabular import ColumnMap
from training.history.types import Author, Csat, HistoryTicket, ImportProblem, Item, Message, Progress

__all__ = [
    "READERS",
    "SOURCES",
    "Author",
    "ColumnMap",
    "Csat",
    "HistoryTicket",
    "ImportProblem",
    "Item",
    "Message",
    "Progress",
    "detect_source",
    "read_history",
    "reader_for",
]
