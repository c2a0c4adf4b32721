"""What Discord shows: core results as embeds, cards and views. No I/O of their own."""
