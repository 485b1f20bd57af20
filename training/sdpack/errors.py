"""The one error type of the pack trainer: its message says what failed, why, and what to do."""


class SdPackError(ValueError):
    """A problem the user can fix (a missing model, an empty folder, a wrong checkpoint family, bad options)."""
