"""`voc-nlp` commands, one module each; `__main__` wires them."""


def add_profile_argument(parser) -> None:
    """`--profile`, for every command that builds the pipeline (enrich, evaluate, serve, spark-enrich)."""
    parser.add_argument("--profile", default=None,
                        help="named settings of the config's `profiles` (default config: fast, the default, "
                             "or accurate: one more encoder view for sentiment)")
