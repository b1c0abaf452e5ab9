"""Demo models, trained on the reference split with the gate's seed.

- ``candidate``: standardised logistic regression on all 30 features (the model to promote).
- ``champion``: a depth-3 decision tree (the model in production).
- ``worse_candidate``: a deliberately bad model: a decision stump on one weak feature
  (mean fractal dimension), to show the gate holding a candidate.
"""

from __future__ import annotations

from demo_data import LABEL, reference
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier


def _xy(columns: list[str] | None = None):
    train = reference()
    X = train.drop(columns=[LABEL])
    return (X if columns is None else X[columns]), train[LABEL]


def candidate(seed: int = 0):
    X, y = _xy()
    model = make_pipeline(
        StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    )
    return model.fit(X, y)


def champion(seed: int = 0):
    X, y = _xy()
    return DecisionTreeClassifier(max_depth=3, random_state=seed).fit(X, y)


class _OneFeature:
    """Wraps an estimator fitted on one column so it accepts the full feature frame."""

    def __init__(self, estimator, column: str) -> None:
        self.estimator, self.column = estimator, column
        self.classes_ = estimator.classes_

    def predict(self, X):
        return self.estimator.predict(X[[self.column]])

    def predict_proba(self, X):
        return self.estimator.predict_proba(X[[self.column]])


def worse_candidate(seed: int = 0):
    column = "mean fractal dimension"
    X, y = _xy([column])
    return _OneFeature(DecisionTreeClassifier(max_depth=1, random_state=seed).fit(X, y), column)
