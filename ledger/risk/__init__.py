"""Risk rules at append: refuse what cannot be true, flag what looks like fraud.

::

    screen.RiskScreen        the configured rules, run by the log on each batch
    ├── impossible           refuse: future_fact, prerequisite_contradicted
    ├── subsidy              flag: repeat_subsidy, yearly_limit, lifetime_limit
    ├── presence             flag: overlapping_classes, two_places
    └── issuance             flag: burst_issuance, before_status

Thresholds come from ``default.toml`` or a file given by the service
(``config.load_risk_config``). Flags never change the ledger: they are
stored in ``risk_flags`` beside the entry, for the authority's review.
"""
