"""Running the pipeline: one night's run (`nightly`), used by `optout run` and by the Airflow
tasks (`tasks`, what the DAG files call), the data-quality suites the DAG runs (`quality`), the template the
channel suites are written from (`suites`) and the demo. May import every capability package; only `cli` imports it."""
