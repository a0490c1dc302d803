"""Certified kNN votes: is a prediction the same under any float32 summation order?

The release's clip-mode kNN multiplies one video's 2-4 clip embeddings at a time with the
whole memory bank. Stacking many videos into one matrix product is 10-20x faster, but a BLAS
picks other kernels for other row counts, so a similarity may round differently in its last
bit (measured here: 1, 4 and 32 rows give the same bits as inside a 4,000-row product; 2, 3,
5 and 7 rows do not).
Rather than trust a kernel, we bound what rounding can change and recompute the rest exactly.

Bound. A float32 dot product of length ``D`` computed in any order (with or without fused
multiply-add) is within ``gamma_D * sum |x_i y_i|`` of the exact value, with
``gamma_D = D u / (1 - D u)`` and ``u = 2**-24`` (Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed., eq. 3.5). For L2-normalised rows ``sum |x_i y_i| <= 1``, so
our similarity and the release's differ by at most ``delta = 2 gamma_D`` (with 5 % slack for
norms that are 1 only up to rounding).

What the bound assumes: both sides multiply the same float32 vectors, i.e. ``F.normalize``
gives a row the same bits whether it is normalised alone (the release's bank in clip mode),
in a batch of 32 or 1,024 (its queries and bank in video mode) or in a stacked block (ours).
That holds where a row's norm is reduced along the row alone, as in torch's CPU kernels;
``tests/twlv/test_knn_certify.py`` checks it on the machine that runs the tests (normalising
every bank row alone would cost about 10 s at K400 shape in clip mode).

Certificate, per query (a video: the sum over its clips). Let ``v`` be our k-th largest
similarity of a clip. A bank item above ``v + 2 delta`` is in the release's top k for that
clip whatever the rounding, one below ``v - 2 delta`` is out, the rest are ambiguous. A
class's release score is then at least the sum of ``exp((s - delta) / T)`` over its sure
items and at most the sum of ``exp((s + delta) / T)`` over its sure and ambiguous items.
If the best class's lower bound beats every other class's upper bound by a relative margin
``SUM_SLACK`` (the release's own float32 exp and sums), the release must predict that class.

Second pass, for the queries the first leaves uncertain (about 1.5 % at K400 shape): their
candidates' similarities are recomputed in float64, so our own error vanishes, and the
release's error is bounded per item by ``gamma_D * sum |x_i y_i|`` rather than by its worst
case ``gamma_D``. That certifies about two thirds of them (measured: 58 -> 17 of 4,000
videos at K400 shape), each checked against the release's shapes in the tests. Queries that
fail both tests are recomputed with the release's matrix shapes.
"""

from __future__ import annotations

import torch

#: Relative allowance for the release's float32 exp and the sums over k neighbours and clips
#: (about 200 * 2**-24 = 1.2e-5 each; ten times that, to be safe).
SUM_SLACK = 1e-4

#: Extra neighbours fetched beyond k to see every ambiguous item; a clip with more ambiguous
#: items than this is simply not certified.
EXTRA = 32


def similarity_slack(dim: int) -> float:
    """``delta``: the most two float32 dot products of unit vectors of length ``dim`` differ."""
    u = 2.0**-24
    gamma = dim * u / (1.0 - dim * u)
    return 2.0 * gamma * 1.05


def certified_votes(
    sim: torch.Tensor,
    group: torch.Tensor,
    num_groups: int,
    bank_labels: torch.Tensor,
    num_classes: int,
    k: int,
    temperature: float,
    delta: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The class every summation order predicts per query group, and whether it is certain.

    Args:
        sim: Similarities float32[rows, N] of query rows (clips) against the bank.
        group: int64[rows]: which query (video) each row belongs to, in ``0..num_groups-1``.
        num_groups: Number of queries.
        bank_labels: int64[N] class of each bank item.
        num_classes: C.
        k: Neighbours per row.
        temperature: Vote temperature T (weights ``exp(sim / T)``).
        delta: Largest difference between our similarity and another order's.

    Returns:
        ``(prediction int64[num_groups], certain bool[num_groups])``; a prediction is only
        meaningful where ``certain``.
    """
    fetch = min(k + EXTRA, sim.shape[1])
    values, index = sim.topk(fetch, dim=1)
    values = values.double()
    kth = values[:, k - 1 : k]
    sure = values > kth + 2 * delta
    maybe = values >= kth - 2 * delta
    # If the last fetched item may still be in, ambiguous items may lie beyond the fetch.
    row_ok = ~maybe[:, -1] if fetch < sim.shape[1] else torch.ones(len(sim), dtype=torch.bool)
    labels = bank_labels[index]
    low = torch.exp((values - delta) / temperature) * sure
    high = torch.exp((values + delta) / temperature) * maybe
    return _decide(low, high, labels, group, num_groups, num_classes, row_ok)


def _decide(low, high, labels, group, num_groups, num_classes, row_ok):
    """Per query: the class with the best lower bound, and whether it beats every rival's
    upper bound (rows whose unfetched items might enter the top k are never certain)."""
    low_c = torch.zeros(len(low), num_classes, dtype=torch.float64).scatter_add_(1, labels, low)
    high_c = torch.zeros_like(low_c).scatter_add_(1, labels, high)
    low_g = torch.zeros(num_groups, num_classes, dtype=torch.float64).index_add_(0, group, low_c)
    high_g = torch.zeros_like(low_g).index_add_(0, group, high_c)
    best = low_g.argmax(dim=1)
    rival = high_g.scatter(1, best[:, None], float("-inf")).amax(dim=1)
    best_low = low_g.gather(1, best[:, None])[:, 0]
    certain = best_low * (1 - SUM_SLACK) > rival * (1 + SUM_SLACK)
    unseen = torch.zeros(num_groups, dtype=torch.long).index_add_(0, group, (~row_ok).long())
    return best, certain & (unseen == 0)


def refined_votes(
    queries: torch.Tensor,
    sim: torch.Tensor,
    bank: torch.Tensor,
    group: torch.Tensor,
    num_groups: int,
    bank_labels: torch.Tensor,
    num_classes: int,
    k: int,
    temperature: float,
    delta: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Second pass: :func:`certified_votes` with exact similarities for the candidates.

    Args:
        queries: float32[rows, D] the L2-normalised query rows behind ``sim``.
        sim: float32[rows, N] our similarities of those rows (they choose the candidates).
        bank: float32[N, D] the L2-normalised bank.
        group, num_groups, bank_labels, num_classes, k, temperature, delta: As for
            :func:`certified_votes`.

    Returns:
        ``(prediction, certain)`` per query, as :func:`certified_votes`.
    """
    fetch = min(k + EXTRA, sim.shape[1])
    values, index = sim.topk(fetch, dim=1)
    candidates = bank[index].double()  # rows x fetch x D
    q = queries.double()[:, :, None]
    exact = torch.bmm(candidates, q)[..., 0]
    # the release's float32 sum errs by at most gamma_D * sum |x_i y_i| (delta / 2 is gamma_D
    # with its 5 % slack); 8 u more to spare (float64 products, exp and the sums are far finer)
    error = delta / 2 * torch.bmm(candidates.abs(), q.abs())[..., 0] + 8 * 2.0**-24
    lo, hi = exact - error, exact + error
    # an unfetched item: ours <= our last fetched value, the release's within delta of ours
    outside = values[:, -1:].double() + delta if fetch < sim.shape[1] else None
    # sure: fewer than k others might reach its lower bound; out: k others surely beat it
    reach = fetch - torch.searchsorted(hi.sort(dim=1).values, lo) - 1
    beaten = fetch - torch.searchsorted(lo.sort(dim=1).values, hi, right=True)
    sure, maybe = reach <= k - 1, beaten < k
    row_ok = torch.ones(len(sim), dtype=torch.bool)
    if outside is not None:
        sure &= lo > outside
        row_ok = lo.sort(dim=1, descending=True).values[:, k - 1] > outside[:, 0]
    low = torch.exp(lo / temperature) * sure
    high = torch.exp(hi / temperature) * maybe
    return _decide(low, high, bank_labels[index], group, num_groups, num_classes, row_ok)


def certify(
    queries: torch.Tensor,
    sim: torch.Tensor,
    bank: torch.Tensor,
    group: torch.Tensor,
    num_groups: int,
    bank_labels: torch.Tensor,
    num_classes: int,
    k: int,
    temperature: float,
    chunk: int = 16,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both passes: :func:`certified_votes` on all queries, :func:`refined_votes` on the
    uncertain ones, ``chunk`` queries at a time (their candidates are held in float64).

    Returns:
        ``(prediction, certain)`` per query; recompute the queries that are not certain.
    """
    delta = similarity_slack(bank.shape[1])
    args = (bank_labels, num_classes, k, temperature, delta)
    best, certain = certified_votes(sim, group, num_groups, *args)
    unsure = torch.nonzero(~certain).flatten()
    for part in unsure.split(chunk):
        rows = torch.isin(group, part)
        renumber = torch.full((num_groups,), -1, dtype=torch.long)
        renumber[part] = torch.arange(len(part))
        best[part], certain[part] = refined_votes(
            queries[rows], sim[rows], bank, renumber[group[rows]], len(part), *args
        )
    return best, certain
