"""The reviewers' desk: the queue (queue.py, the reads), verdicts (review.py, the writes), who
may review what, assignments and whom to tell."""
