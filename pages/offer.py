"""The address /offer on a fresh server's first visit: see app/first_visit.py."""

from app.first_visit import run_router

run_router()
