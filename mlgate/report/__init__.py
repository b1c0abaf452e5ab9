"""Renderings of a gate run. ``result.json`` is the source of every other rendering."""
