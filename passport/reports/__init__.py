"""Reports for the authority: the plan's KPIs from the ledger."""
