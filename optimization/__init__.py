"""Reserved for the optimization stage (see the open issues)."""
