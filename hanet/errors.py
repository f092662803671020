"""The one exception type users see: a clear message naming the file and what is wrong."""


class HanetError(Exception):
    """Bad input or a failed stage. The CLI prints the message (no traceback) and exits 1."""
