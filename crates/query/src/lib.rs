//! hearsay-query (to be written)
