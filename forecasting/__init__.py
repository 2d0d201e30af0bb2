"""Reserved for the forecasting stage (see the open issues)."""
