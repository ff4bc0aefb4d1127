from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets


class PositionRequirementForm(FlaskForm):
    """Which certificates qualify a post (holding any one of them counts)."""

    certificate_type_ids = SelectMultipleField(
        _l("认可的证书"), coerce=int,
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
        description=_l("持有其中任一有效证书即视为持证上岗；不选表示该岗位无需持证。"))
