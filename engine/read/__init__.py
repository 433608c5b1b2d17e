"""Read models: worklists and search, figures and reports, the public register, the confidentiality projection."""
