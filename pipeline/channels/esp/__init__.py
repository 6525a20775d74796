"""What each e-mail service provider's webhook events become (used by `esp_events`)."""
