"""The SMPP inspector tab: connection, submit form, PDU list, decode tree and hex view, pcap."""

from ui.smpp.tab import SmppTab

__all__ = ["SmppTab"]
