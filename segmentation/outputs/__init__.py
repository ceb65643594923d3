"""Outputs: what leaves the package for people, a one-file HTML report and CSV files that
are safe to open in a spreadsheet."""
