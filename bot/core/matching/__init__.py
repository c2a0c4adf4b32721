"""Is this paper about what a topic names? The topic language (`query`), words and their
families (`text`, `word_families`, `vocabulary`), acronyms and concepts, the prepared paper
(`doc`), the rules (`rules`) and the judge (`judge`), many topics at once (`index`), and the
reasons (`explain`, `why`). Imports nothing of the store or of delivery (a test checks)."""
