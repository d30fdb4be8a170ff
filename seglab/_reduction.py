"""Means that leave undefined values out, shared by the overlap and the surface metrics."""

import numpy as np


def nanmean(x, axis):
    """Mean over ``axis`` leaving out NaN; NaN (no warning) when nothing is left."""
    valid = ~np.isnan(x)
    count = valid.sum(axis=axis)
    total = np.where(valid, x, 0.0).sum(axis=axis)
    return np.divide(total, count, out=np.full(np.shape(total), np.nan), where=count > 0)
