"""The journal: every record of a session in one SQLite file (a case), with exports."""

from console.journal.export import export_csv, export_json, export_pcap
from console.journal.journal import KINDS, REPORT_COLUMNS, Journal, JournalEntry, kind_of

__all__ = ["KINDS", "REPORT_COLUMNS", "Journal", "JournalEntry", "export_csv", "export_json",
           "export_pcap", "kind_of"]
