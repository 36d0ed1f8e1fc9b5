"""Reference linear probe: scikit-learn LogisticRegression on dilo feature files.

Same protocol as dilo's fast probe (packages/eval/src/probe-fast.ts): standardise with the
fit rows' statistics, choose the weight decay on the given held-out split (best held-out top-1,
ties to the lower held-out log-loss), refit on the whole training set, evaluate on the test set.
dilo minimises mean CE + wd/2 ||W||^2; sklearn minimises C * sum CE + ||W||^2 / 2, so C = 1/(wd N).

usage: /usr/bin/python3 sklearn_probe.py TRAIN.feat TEST.feat SPLIT.json
SPLIT.json: {"fit": [...], "heldOut": [...], "wdGrid": [...], "diloWd": w}
Prints one JSON object.
"""
import json
import struct
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler


def read_features(path):
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:8] != b"DILOFEAT":
        raise SystemExit(f"{path}: not a dilo feature file")
    version, hlen = struct.unpack_from("<II", buf, 8)
    if version != 1:
        raise SystemExit(f"{path}: unsupported version {version}")
    header = json.loads(buf[16:16 + hlen].decode("utf8"))
    n, d = header["n"], header["d"]
    off = 16 + hlen
    x = np.frombuffer(buf, dtype="<f4", count=n * d, offset=off).reshape(n, d).astype(np.float64)
    y = np.frombuffer(buf, dtype="<i4", count=n, offset=off + 4 * n * d).astype(np.int64)
    return x, y, header


def fit(x, y, wd, max_iter=1000):
    clf = LogisticRegression(C=1.0 / (wd * len(y)), multi_class="multinomial", solver="lbfgs", max_iter=max_iter, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    return clf


def topk(scores, y, classes, k):
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(np.mean([y[i] in classes[order[i]] for i in range(len(y))]))


def main():
    xtr, ytr, _ = read_features(sys.argv[1])
    xte, yte, _ = read_features(sys.argv[2])
    with open(sys.argv[3]) as f:
        split = json.load(f)
    fit_rows, held = np.array(split["fit"]), np.array(split["heldOut"])
    t0 = time.time()
    sc = StandardScaler().fit(xtr[fit_rows])
    xs = sc.transform(xtr)
    search = []
    for wd in sorted(split["wdGrid"]):
        clf = fit(xs[fit_rows], ytr[fit_rows], wd)
        p = clf.predict_proba(xs[held])
        search.append({"wd": wd, "heldOutTop1": float(np.mean(clf.classes_[p.argmax(1)] == ytr[held])),
                       "heldOutLoss": float(log_loss(ytr[held], p, labels=clf.classes_)), "iterations": int(clf.n_iter_.max())})
    best = max(search, key=lambda s: (s["heldOutTop1"], -s["heldOutLoss"]))
    sa = StandardScaler().fit(xtr)

    def evaluate(wd):
        clf = fit(sa.transform(xtr), ytr, wd)
        s = clf.decision_function(sa.transform(xte))
        return {"top1": topk(s, yte, clf.classes_, 1), "top5": topk(s, yte, clf.classes_, min(5, len(clf.classes_))), "iterations": int(clf.n_iter_.max())}

    own = evaluate(best["wd"])
    seconds = time.time() - t0
    same = own if split["diloWd"] == best["wd"] else evaluate(split["diloWd"])
    print(json.dumps({"top1": own["top1"], "top5": own["top5"], "wd": best["wd"], "search": search, "iterations": own["iterations"],
                      "seconds": seconds, "atDiloWd": same, "sklearn": __import__("sklearn").__version__}))


if __name__ == "__main__":
    main()
