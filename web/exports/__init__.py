"""Exports of the periodic report: CSV, XLSX and DOCX files officials can file."""
