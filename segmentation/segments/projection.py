"""Customers on a plane: the two principal components of the clustering features, for a map
on which clusters can be seen side by side."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA


@dataclass(frozen=True)
class PlaneMap:
    """Coordinates of the rows asked for on the first two principal components, and the
    share of the variance each component explains."""

    coordinates: np.ndarray
    explained: tuple[float, float]


def principal_plane(matrix: np.ndarray, rows: np.ndarray | None = None) -> PlaneMap:
    """Fit the principal components on every row of ``matrix``; place ``rows`` (all by
    default). With one feature the second coordinate is zero and explains nothing."""
    matrix = np.asarray(matrix, dtype="float64")
    chosen = matrix if rows is None else matrix[rows]
    components = min(2, matrix.shape[1])
    fitted = PCA(n_components=components, random_state=0).fit(matrix)
    coordinates = fitted.transform(chosen)
    explained = [float(v) for v in fitted.explained_variance_ratio_]
    if components == 1:
        coordinates = np.column_stack([coordinates[:, 0], np.zeros(len(chosen))])
        explained.append(0.0)
    return PlaneMap(coordinates=coordinates, explained=(explained[0], explained[1]))
