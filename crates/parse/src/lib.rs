//! hearsay-parse (to be written)
