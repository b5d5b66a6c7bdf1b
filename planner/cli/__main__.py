"""``python -m planner.cli``: the ``planner`` command."""

from .main import main

main()
