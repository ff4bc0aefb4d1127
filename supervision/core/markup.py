"""Small pieces of HTML that templates draw often, made in one place (``_macros.html``'s macros draw
them through these functions; long lists call them directly: a macro call per row costs ~20 µs)."""
from __future__ import annotations

from markupsafe import Markup, escape


def status_badge(state, label=None) -> Markup:
    """A ``LabelledEnum`` member as a coloured badge (nothing for None); ``label``: its title already
    translated (a list translates each title once a page, not once a row)."""
    if not state:
        return Markup("")
    text = state.label if label is None else label
    return Markup(f'<span class="badge bg-{escape(state.badge)} status-badge">{escape(text)}</span>')  # nosec B704 - escaped
