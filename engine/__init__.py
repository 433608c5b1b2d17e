"""The case engine: the only code that changes a case.

Sub-packages by concern, lower floors first: `store` (tables, database), `time` (clock, working
days, deadlines, periods), `org` (units, accounts, sign-in), `cases` (commands, policy, machine,
history, unit of work), `jobs` (claims and leases, the timer sweep), `read` (worklists, search,
figures, reports, the public register, the confidentiality projection) and `audit` (checks a
database writer cannot fool). `errors` is the ground floor every one of them may import.
"""
