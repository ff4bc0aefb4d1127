"""The upload form of the Excel import pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class ImportForm(FlaskForm):
    file = FileField(_l("Excel 或 CSV 文件（.xlsx / .xls / .csv）"),
                     validators=[FileRequired(message=_l("请选择要导入的文件。"))])
