"""Uploads: files in, checked, all or nothing.

- ``load``: ``load_file``, ``preview``, ``rollback``, the load history;
- ``read``: file formats, encodings and compression;
- ``schema``: the kinds of file, their columns and header aliases;
- ``statements``: the SQL that parses, checks and writes a file's rows.
"""
