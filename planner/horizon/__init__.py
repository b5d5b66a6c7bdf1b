"""The time structure of a plan: several periods (years) and representative days (hours).

- :mod:`.periods`: the per-period scenarios of a scenario with a ``periods`` table and the data
  that carries capacity over from one period to the next (:class:`~.periods.MultiPeriodData`);
- :mod:`.planning`: planning over the periods, perfect foresight or myopic, and the combined
  results (the model itself is :mod:`planner.model.multi_period`);
- :mod:`.hourly`: hourly profiles read and reduced to representative days (the scenario's time
  slices).
"""
