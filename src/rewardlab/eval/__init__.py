"""Evaluation of rewards, reward models and judges: metrics, dataset readers, scoring, probes."""
