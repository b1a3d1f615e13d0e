//! hearsay-store (to be written)
