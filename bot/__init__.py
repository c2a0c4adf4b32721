"""paperbot: Hugging Face Daily and Trending Papers in Discord."""

__version__ = "0.1.0"
