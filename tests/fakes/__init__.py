"""Local servers that speak the real protocols of our providers, for gateway, fault and bench tests."""
