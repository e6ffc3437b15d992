"""The push workflow, in one place.

- `states`: export states and the only code that moves an item from one state to another;
- `permissions`: the one rule "may this user push";
- `start`: starting pushes (manual, automatic, again) and the org-switch decisions;
- `automatic`: what follows a committed new or edited contact in automatic mode;
- `engine`: pushing a batch to Salesforce (exactly once);
- `recovery`: what the sweeper decides (stuck, waiting, lost in Redis, unsent mail);
- `dispatch`: enqueueing the jobs by dotted name (imports no job module);
- `progress`, `summary`, `reasons`: the read side the pages, the poll and the mails need.

Everything here flushes and never commits, except where a docstring says otherwise (see
docs/architecture.md, "The transaction rule").
"""
