"""Building blocks shared by every feature: types, time, working days, errors."""
