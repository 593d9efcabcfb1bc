"""What the chapters show beside the steppers: listings, exercises, call sites, the ledger, pictures."""
