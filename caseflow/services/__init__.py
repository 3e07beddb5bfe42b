"""Services: the only code that changes state. Each one validates, writes, and commits once."""
