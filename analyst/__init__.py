"""What analysts and planners open: the dbt docs site, its documentation-coverage check and the planning report."""
