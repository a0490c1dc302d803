"""TWLV-I: video-embedding evaluation (probes, kNN, geometry) and a synthetic offline benchmark.

Modules by job: :mod:`~repro.twlv.io` (release and packed embedding formats),
:mod:`~repro.twlv.metrics`, :mod:`~repro.twlv.knn`, :mod:`~repro.twlv.linear`,
:mod:`~repro.twlv.attentive`, :mod:`~repro.twlv.optim` (one-pass sweeps),
:mod:`~repro.twlv.synthetic`, :mod:`~repro.twlv.encoders`, :mod:`~repro.twlv.viz`,
:mod:`~repro.twlv.config` (every Config), :mod:`~repro.twlv.runner`, :mod:`~repro.twlv.release`,
:mod:`~repro.twlv.geometry` (notebook runners), :mod:`~repro.twlv.tables`,
:mod:`~repro.twlv.claims`, :mod:`~repro.twlv.tiers`,
:mod:`~repro.twlv.errata`, :mod:`~repro.twlv.standins`, :mod:`~repro.twlv.evaluate` and
:mod:`~repro.twlv.cli` (``repro twlv evaluate``).

Data contract: embeddings ``float32[n, D]`` with ``int64[n]`` labels, ragged clips as
:class:`repro.twlv.io.EmbeddingSplit`; results are long tables
``seed, encoder, task, protocol, metric, value`` with accuracies in percent.
"""
