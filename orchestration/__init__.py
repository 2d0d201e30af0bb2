"""Reserved for the orchestration stage (see the open issues)."""
