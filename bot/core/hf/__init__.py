"""Hugging Face's papers API: the HTTP client (`source`) and its pure parser (`parser`)."""
