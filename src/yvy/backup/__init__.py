"""Workspace backups: database dump (SQLite online backup / pg_dump), files with SHA-256,
audit head and catalog fingerprints; restore that verifies all of it before and after.

Order of imports: ``database`` <- ``workspace`` <- ``restore``. Never imports api or cli.
"""

from .restore import restore_workspace
from .workspace import BackupReport, backup_workspace, read_backup

__all__ = ["BackupReport", "backup_workspace", "read_backup", "restore_workspace"]
