"""The organisation: units, accounts, roles, passwords and sign-in."""
