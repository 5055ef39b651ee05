"""One module per `yuqing` subcommand: `add_parser(subparsers)` and `run(args) -> int`."""
