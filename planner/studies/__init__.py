"""Studies built on the pipeline: many plans of one scenario, compared.

- :mod:`.sweep`: a grid / one-at-a-time / variants sweep, run in parallel on Dask;
- :mod:`.pareto`: the cost–carbon (or cost–energy) frontier by the ε-constraint method;
- :mod:`.network_value`: the value of the network (networked against isolated / local-first plans);
- :mod:`.replan`: fast what-if re-solves of a built model (:class:`~.replan.Replanner`);
- :mod:`.compare_runs`: the comparison workbook of several finished runs (``planner compare``).
"""
