"""One module per ``vf-luanti`` subcommand; each defines ``add_parser(subparsers)``.

Command modules import their heavy dependencies inside the handler, so ``vf-luanti check`` does not
pay for verifiers or torch.
"""
