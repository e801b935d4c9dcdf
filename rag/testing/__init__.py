"""Test doubles shipped with the product (like httpx's MockTransport): use them in your own tests."""
