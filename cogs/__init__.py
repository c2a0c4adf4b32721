"""Thin slash-command adapters: typed options in, one core call, one rendered reply."""
