"""Owners' complaints and repair requests (投诉 / 报修): the register, 12345 intake, clocks, the three
rates, and the owner's own public page."""
