"""thanknote: one personal thank-you note per interviewer, checked, delivered and logged."""

__version__ = "0.1.0"
