"""Rehearsal: prove a plan on a throwaway copy of the target before it touches anything real."""
