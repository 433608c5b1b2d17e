"""Tables and the database: SQLAlchemy models, engine setup, migrations' entry point, backups."""
