"""Topics that learn from their channel: votes and taught papers, on top of the rules.

`features` turns a paper into a weighted bag of what it is about (word families, pairs, AI
keyword phrases and the concepts the rules find); `learner` judges a paper for a topic from the
topic's examples, over the rules' verdict: a rule match that looks like the papers marked 👎 is
held back, a paper the rules missed that looks like the papers marked 👍 (or taught) is posted.
Nothing here knows of storage or Discord.
"""
