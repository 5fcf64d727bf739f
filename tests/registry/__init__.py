"""Tests of the OCI registry client (hardenify.registry); helpers live in fake_registry."""
