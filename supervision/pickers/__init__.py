"""Pickers: choosing an estate or a company by typing, searched on the server within the user's scope.

A district has thousands of estates and companies, too many for a drop-down. ``fields`` gives forms a
text box (with a hidden id) that JavaScript turns into a type-ahead list fed by ``views``; without
JavaScript the typed text is matched on submit (``services.resolve``).
"""
