"""Subcommands of ``infobip-console``; see :mod:`console.cli`."""
