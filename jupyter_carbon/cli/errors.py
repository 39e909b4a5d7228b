"""The command line's one error: bad input, printed as one line with exit code 2."""


class UsageError(Exception):
    """Bad input on the command line: printed as one line, exit code 2, no traceback."""
