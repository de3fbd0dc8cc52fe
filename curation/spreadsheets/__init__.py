"""Spreadsheets in and out: safe reading, streamed writing, import plans and their application."""
