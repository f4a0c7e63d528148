"""Importing institutions' rosters (CSV, XLSX) as signed events."""
