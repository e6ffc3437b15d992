"""The product's Salesforce client: OAuth, REST calls and typed errors. No Flask imports, so the
web app, the workers and the tests share it; it talks to a real org and to the bundled emulator
through the same code (only the URLs differ)."""
