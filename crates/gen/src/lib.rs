//! hearsay-gen (to be written)
