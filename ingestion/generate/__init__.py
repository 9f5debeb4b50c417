"""Synthetic landing data for the appeals warehouse, with ground truth.

``generate()`` writes a landing folder laid out as ``docs/sources.md`` describes::

    <out_dir>/pos/pos_<period>.xlsx|csv
    <out_dir>/incident/incident_<period>.xlsx|csv
    <out_dir>/register/<municipality ОКТМО>/register_<period>.xlsx|csv
    <out_dir>/reference/organizations.csv
    <out_dir>/_truth/appeals.csv, questions.csv, files.csv, quarantine.csv, topic_crosswalk.csv

Records evolve between exports (a later period's file repeats ~5 % changed earlier records); messiness of
every kind the contract names is applied at ``dirty_rate``; the truth says what ingestion should end up with.
``write_register_csv()`` streams a large clean register CSV for load benchmarks.

Modules: ``contract`` (headers), ``reference`` (classifier, ОКТМО, bodies), ``vocab`` (labels, codes and
distributions), ``fake`` (personal data), ``model`` (records and their life cycle), ``sampling`` (drawing
records), ``messiness`` (file styles, cell and row corruption), ``writers`` (CSV, xlsx), ``truth`` (ground
truth tables), ``core`` (``generate``), ``bulk`` (``write_register_csv``).
"""

from ingestion.generate.bulk import write_register_csv
from ingestion.generate.core import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate", "write_register_csv"]
