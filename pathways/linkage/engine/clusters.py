"""Clusters of records from scored pairs: connected components of the pairs at or above a
threshold plus the must-link pairs, never joining a cannot-link pair.

Plain components are found with SciPy's sparse graph routine (millions of edges in
seconds). Only a component that holds both records of a cannot-link pair is rebuilt: its
edges are added strongest first (must-links first of all; ties by the two ids), and an
edge is skipped when it would put a cannot-link pair in one cluster. So the weakest edges
on the paths between the two records are the ones cut, and the result does not depend on
the order the pairs came in. A cannot-link beats a must-link. A cluster's id is the
smallest unique_id in it; a record with no links is a cluster of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

Pair = tuple[str, str]


def _edges(
    pairs: pd.DataFrame | Iterable[tuple[str, str, float]], threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(left ids, right ids, probabilities) of the pairs at or above ``threshold``, and the
    ids of the pairs below it (they still become clusters of their own)."""
    if not isinstance(pairs, pd.DataFrame):
        rows = [(str(a), str(b), float(p)) for a, b, p in pairs]
        pairs = pd.DataFrame(
            rows, columns=["unique_id_l", "unique_id_r", "match_probability"]
        ).astype({"unique_id_l": object, "unique_id_r": object, "match_probability": float})
    keep = (pairs["match_probability"] >= threshold).to_numpy()
    left_all = pairs["unique_id_l"].astype(str).to_numpy(dtype=object)
    right_all = pairs["unique_id_r"].astype(str).to_numpy(dtype=object)
    weight = pairs["match_probability"].astype(float).to_numpy()[keep]
    below = np.concatenate([left_all[~keep], right_all[~keep]])
    return left_all[keep], right_all[keep], weight, below


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: list[set[int]] = [{i} for i in range(n)]

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members[rb]
        self.members[rb] = set()
        return ra


def _constrained(
    nodes: Sequence[int],
    edges: list[tuple[float, str, str, int, int]],
    forbidden: dict[int, set[int]],
) -> dict[int, int]:
    """Kruskal-style merge of one component's edges, strongest first, skipping a merge that
    would join a forbidden pair. Returns node -> representative node."""
    index = {node: i for i, node in enumerate(nodes)}
    uf = _UnionFind(len(nodes))
    # banned[root] = the local ids no member of root may join
    banned: dict[int, set[int]] = defaultdict(set)
    for node in nodes:
        for other in forbidden.get(node, ()):
            if other in index:
                banned[index[node]].add(index[other])
    for _neg, _a, _b, u, v in sorted(edges):
        ru, rv = uf.find(index[u]), uf.find(index[v])
        if ru == rv:
            continue
        if banned[ru] & uf.members[rv] or banned[rv] & uf.members[ru]:
            continue
        root = uf.union(ru, rv)
        other = rv if root == ru else ru
        banned[root] |= banned.pop(other, set())
    return {node: nodes[uf.find(index[node])] for node in nodes}


def clusters(
    pairs: pd.DataFrame | Iterable[tuple[str, str, float]],
    *,
    threshold: float,
    must_link: Iterable[Pair] = (),
    cannot_link: Iterable[Pair] = (),
    ids: Iterable[str] = (),
) -> dict[str, str]:
    """unique_id -> cluster id (the smallest unique_id in the cluster).

    ``pairs`` is a prediction frame (``unique_id_l``, ``unique_id_r``, ``match_probability``)
    or (id, id, probability) tuples; pairs below ``threshold`` are ignored. ``ids`` adds
    records that may have no pair at all (each becomes its own cluster)."""
    from scipy.sparse import coo_matrix  # type: ignore[import-untyped]
    from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

    left, right, weight, below = _edges(pairs, threshold)
    must = [(str(a), str(b)) for a, b in must_link]
    cannot = [(str(a), str(b)) for a, b in cannot_link if a != b]
    must_l = np.array([a for a, _ in must], dtype=object)
    must_r = np.array([b for _, b in must], dtype=object)
    extra = np.concatenate([np.array(list(ids), dtype=object), below])
    cannot_ids = np.array([x for pair in cannot for x in pair], dtype=object)
    all_ids = np.concatenate([left, right, must_l, must_r, extra, cannot_ids]).astype(str)
    if len(all_ids) == 0:
        return {}
    names, codes = np.unique(all_ids, return_inverse=True)
    n_edges = len(left)
    n_must = len(must)
    u_all = np.concatenate([codes[:n_edges], codes[2 * n_edges : 2 * n_edges + n_must]])
    v_all = np.concatenate(
        [codes[n_edges : 2 * n_edges], codes[2 * n_edges + n_must : 2 * n_edges + 2 * n_must]]
    )
    n = len(names)
    graph = coo_matrix((np.ones(len(u_all), dtype=np.int8), (u_all, v_all)), shape=(n, n))
    _count, labels = connected_components(graph, directed=False)

    if cannot:
        code_of = {name: i for i, name in enumerate(names.tolist())}
        forbidden: dict[int, set[int]] = defaultdict(set)
        conflicted: set[int] = set()
        for a, b in cannot:
            ca, cb = code_of[a], code_of[b]
            forbidden[ca].add(cb)
            forbidden[cb].add(ca)
            if labels[ca] == labels[cb]:
                conflicted.add(int(labels[ca]))
        if conflicted:
            weights = np.concatenate([weight, np.full(n_must, np.inf)])
            by_component: dict[int, list[tuple[float, str, str, int, int]]] = defaultdict(list)
            for x, y, w in zip(u_all.tolist(), v_all.tolist(), weights.tolist(), strict=True):
                component = int(labels[x])
                if component in conflicted:
                    a, b = sorted((names[x], names[y]))
                    by_component[component].append((-w, a, b, x, y))
            next_label = int(labels.max()) + 1
            for component in sorted(conflicted):
                nodes = np.flatnonzero(labels == component).tolist()
                representative = _constrained(nodes, by_component[component], forbidden)
                relabel: dict[int, int] = {}
                for node in nodes:
                    root = representative[node]
                    if root not in relabel:
                        relabel[root] = next_label
                        next_label += 1
                    labels[node] = relabel[root]

    # cluster id: the smallest name in each component (names are sorted, so the first seen)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_labels[1:] != sorted_labels[:-1]
    smallest_code = np.empty(labels.max() + 1, dtype=np.int64)
    smallest_code[sorted_labels[first]] = order[first]
    cluster_names = names[smallest_code[labels]]
    return dict(zip(names.tolist(), cluster_names.tolist(), strict=True))
