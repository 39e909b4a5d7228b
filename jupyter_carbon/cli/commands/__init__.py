"""One module per ``jupyter carbon`` subcommand, each with ``register(subparsers)``."""
