//! Integration tests of vigie-model.
