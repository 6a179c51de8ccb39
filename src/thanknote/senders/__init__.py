"""Delivery back ends. Each implements :class:`thanknote.senders.base.Sender`."""
