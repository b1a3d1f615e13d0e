//! hearsay-capture (to be written)
