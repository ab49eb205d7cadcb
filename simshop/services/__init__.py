"""Use cases. Each function takes an explicit database session, runs one transaction and
never reads ``request``, ``session`` or ``flash``."""
