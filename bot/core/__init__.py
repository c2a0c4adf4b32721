"""The core of paperbot: everything that does not know about Discord."""
