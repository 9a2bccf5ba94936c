"""The one exception type for bad user input; every entry point maps it to exit code 2."""


class InputError(ValueError):
    """Bad usage or bad input: the message names the problem and how to fix it."""
