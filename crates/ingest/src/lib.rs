//! hearsay-ingest (to be written)
