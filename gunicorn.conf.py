"""gunicorn's settings file, read from the working directory (the Dockerfile's CMD runs from /app). Only the
Prometheus multiprocess bookkeeping lives here; the rest stays on the command line.

The master gets a fresh metrics directory before it forks the workers, so every worker writes its counts
there and /metrics, whichever worker answers it, reports the sum (schoolbook.metrics). The directory is
removed when the master exits."""

from schoolbook.metrics import multiprocess_dir_own as _multiprocess_dir_own

_multiprocess_dir_own()
