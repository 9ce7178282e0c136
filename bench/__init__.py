"""Benchmarks: the server's latency, throughput and memory against real peers (``make bench``)."""
