"""Subcommands of ``rtstock``: a module each, with ``add_arguments(parser)`` and ``run(args)``."""
