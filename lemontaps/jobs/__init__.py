"""RQ job entry points (thin: load, call the workflow, commit, enqueue what follows).

Queues and enqueueing live in `lemontaps.queueing`, which imports no service."""
