"""Named operations: the only code that writes. Each writes its audit entry; the request owns the commit."""
