"""The fields of a paper that matching reads, by index, and which of them a machine wrote."""

FIELD_NAMES = ("title", "abstract", "summary", "keyword", "author")
TITLE, ABSTRACT, SUMMARY, KEYWORD, AUTHOR = range(5)
GENERATED = (SUMMARY, KEYWORD)  # Hugging Face's machine-written AI summary and keywords
