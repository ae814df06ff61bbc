//! GDPR erasure leaves nothing findable by the card token.
