"""The holiday-arrangement register (节假日安排): per year, the holidays and the make-up working days
(调休上班) as published by the State Council General Office each autumn.

``models`` holds the tables, ``services`` the rules (seed, edit, import), ``recompute`` what follows a
change (due dates and deadlines not yet past), ``views`` the admin pages under /admin/holidays.
``core.workdays`` reads the register.
"""
