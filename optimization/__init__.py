"""Inventory optimisation: per-site policy (service levels chosen by cost, safety stock, reorder points), the PuLP
transfer plan between warehouses, the heuristic, the day-by-day simulator and the hold-out replay that proves them.
The stage's entry point is `optimization.run.run(options, resources)`; it imports only the ground floor."""
