"""Headless runs: state store, runner (exactly-once creates, acknowledgements, dead letter), reload."""
