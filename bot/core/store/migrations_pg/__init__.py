"""PostgreSQL's numbered, forward-only migrations: `NNNN_name.sql`, recorded in schema_version.

0001 is the schema SQLite reaches at its 0005; each later change adds a file to both folders
(PostgreSQL 0002 is SQLite 0006; 0003 does here what SQLite's 0005 did there).
"""
