"""Consents are recorded and revoked through the provider's screens (audited); the admin does
not edit them."""
