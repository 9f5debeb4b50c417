"""``python -m ingestion.bench --appeals N``: the benchmark suite (``ingestion.bench.suite``)."""

import sys

from ingestion.bench.suite import main

sys.exit(main())
