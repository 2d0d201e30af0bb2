"""Demand pattern per series (Syntetos-Boylan): how often it sells (ADI) and how much the sizes vary (CV^2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


def demand_pattern(values: np.ndarray) -> str:
    """smooth, erratic, intermittent or lumpy; zero for a series that never sold."""
    nonzero = values[values > 0]
    if nonzero.size == 0:
        return "zero"
    adi = values.size / nonzero.size
    cv2 = (nonzero.std() / nonzero.mean()) ** 2 if nonzero.size > 1 else 0.0
    if adi < ADI_CUTOFF:
        return "smooth" if cv2 < CV2_CUTOFF else "erratic"
    return "intermittent" if cv2 < CV2_CUTOFF else "lumpy"


def classify(history: pd.DataFrame) -> pd.Series:
    """unique_id -> demand pattern, from the observed sales."""
    return history.groupby("unique_id")["y_observed"].apply(lambda y: demand_pattern(y.to_numpy(dtype=float)))
