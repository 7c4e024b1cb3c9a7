"""The submission walk: a project as its staff see it (view.py, the reads) and its writes
(projects, evidence, files), scored from what is stored."""
