"""Policy questions: the corpus searched, and the asker's own data answered."""
