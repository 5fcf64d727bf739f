"""Fleet mode: fix many repositories in one run (`hardenify bulk`, the all-repos autofixer).

`treefix` fixes whole trees in-process through one process pool, `git` wraps the few git
commands a run needs, `fleet` is the per-repository pipeline, `pr` writes the commit
message and PR body, and `table` the closing summary.
"""
